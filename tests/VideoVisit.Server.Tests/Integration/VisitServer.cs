using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using VideoVisit.Testing;

namespace VideoVisit.Server.Tests.Integration;

/// <summary>
/// The real server in its embedded default (development issuer, demo data) with test-friendly
/// settings: a 2 s reconnection grace, swept every 100 ms, and no relay listener (these tests need
/// only its ICE configuration).
/// </summary>
public sealed class VisitServer : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private VisitServer(RunningServer server)
    {
        Server = server;
        Http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = Timeout };
    }

    public RunningServer Server { get; }

    public HttpClient Http { get; }

    public Uri BaseAddress => Server.BaseAddress;

    public static async Task<VisitServer> StartAsync(IDictionary<string, string?>? settings = null, string? dataDirectory = null, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? overrideServices = null)
    {
        var merged = new Dictionary<string, string?>
        {
            ["Visits:ReconnectGraceSeconds"] = "2",
            ["Visits:GraceSweepMilliseconds"] = "100",
            ["Turn:Enabled"] = "false",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            merged[key] = value;
        }

        return new VisitServer(await RunningServer.StartAsync(merged, dataDirectory, overrideServices).WaitAsync(TimeSpan.FromSeconds(60)));
    }

    /// <summary>A development-issuer token for a demo person.</summary>
    public async Task<string> TokenAsync(string personId)
    {
        using var response = await Http.PostAsJsonAsync("/api/dev/token", new { personId }).WaitAsync(Timeout);
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync().WaitAsync(Timeout));
        return body.RootElement.GetProperty("accessToken").GetString()!;
    }

    public async Task<HubClient> ConnectAsync(string personId) =>
        await HubClient.ConnectAsync(BaseAddress, await TokenAsync(personId)).WaitAsync(Timeout);

    public async Task<HttpResponseMessage> GetAsync(string path, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await Http.SendAsync(request).WaitAsync(Timeout);
    }

    public async Task<JsonElement> GetJsonAsync(string path, string token)
    {
        using var response = await GetAsync(path, token);
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync().WaitAsync(Timeout));
        return body.RootElement.Clone();
    }

    /// <summary>Polls <c>/readyz</c> until it answers 200 (<paramref name="ready"/>) or 503; returns its last body.</summary>
    public async Task<JsonElement> WaitReadyAsync(bool ready, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            using var response = await GetAsync("/readyz", token: null);
            var body = await response.Content.ReadAsStringAsync();
            if ((response.StatusCode == System.Net.HttpStatusCode.OK) == ready)
            {
                return JsonDocument.Parse(body).RootElement.Clone();
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException($"/readyz still answered {(int)response.StatusCode} {body} after {within.TotalSeconds} s");
            }

            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }
}
