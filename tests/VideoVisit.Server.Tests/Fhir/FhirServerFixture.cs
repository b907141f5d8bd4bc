using VideoVisit.Server.Tests.Integration;

namespace VideoVisit.Server.Tests.Fhir;

/// <summary>One embedded-default server (demo seed, development issuer) shared by a class; each test writes its own ids.</summary>
public sealed class FhirServerFixture : IAsyncLifetime
{
    public VisitServer Server { get; private set; } = null!;

    public FhirClient Ehr { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await VisitServer.StartAsync(new Dictionary<string, string?> { ["Fhir:MaxRequestBytes"] = "200000" });
        Ehr = await FhirClient.ForClientAsync(Server);
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
