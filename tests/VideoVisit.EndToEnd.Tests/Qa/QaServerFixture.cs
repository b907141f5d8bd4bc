using System.Net.Http.Json;
using System.Text.Json;
using VideoVisit.Testing;

namespace VideoVisit.EndToEnd.Tests.Qa;

/// <summary>
/// The real server in its embedded default (development issuer, demo people and appointments,
/// the relay on its own loopback port), shared by the scenarios of one engine.
/// </summary>
public sealed class QaServerFixture : IAsyncLifetime
{
    private RunningServer? _server;
    private HttpClient? _http;

    public RunningServer Server => _server ?? throw new InvalidOperationException("server not started");

    public Uri BaseAddress => Server.BaseAddress;

    public async Task InitializeAsync()
    {
        _server = await RunningServer.StartAsync();
        _http = new HttpClient { BaseAddress = _server.BaseAddress, Timeout = TimeSpan.FromSeconds(15) };
    }

    /// <summary>A development-issuer token for a demo person, as JSON the web app keeps in sessionStorage.</summary>
    public async Task<(string Token, string SessionJson)> SignInAsync(string personId)
    {
        using var response = await _http!.PostAsJsonAsync("/api/dev/token", new { personId });
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var token = body.RootElement.GetProperty("accessToken").GetString()!;
        var expiresAt = body.RootElement.GetProperty("expiresAt").ToString();
        var session = JsonSerializer.Serialize(new { accessToken = token, expiresAt, personId, issuer = "dev" });
        return (token, session);
    }

    public async Task DisposeAsync()
    {
        _http?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
