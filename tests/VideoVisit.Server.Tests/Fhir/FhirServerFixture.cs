using VideoVisit.Server.Tests.Integration;

namespace VideoVisit.Server.Tests.Fhir;

/// <summary>One embedded-default server (demo seed, development issuer) shared by a class; each test writes its own ids.</summary>
public class FhirServerFixture : IAsyncLifetime
{
    public VisitServer Server { get; private set; } = null!;

    public FhirClient Ehr { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string?> { ["Fhir:MaxRequestBytes"] = "200000" };
        foreach (var (key, value) in StoreSettings())
        {
            settings[key] = value;
        }

        Server = await VisitServer.StartAsync(settings);
        Ehr = await FhirClient.ForClientAsync(Server);
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();

    /// <summary>Which store the server uses (none: the embedded default).</summary>
    protected virtual IDictionary<string, string?> StoreSettings() => new Dictionary<string, string?>();
}
