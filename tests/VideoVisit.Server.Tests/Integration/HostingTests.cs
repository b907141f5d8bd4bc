using System.Net;
using System.Text.Json;
using VideoVisit.Testing;

namespace VideoVisit.Server.Tests.Integration;

public sealed class HostingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task HealthzAnswers200WithJson()
    {
        await using var server = await RunningServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = Timeout };

        using var response = await http.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Healthy", body.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task RootServesTheWebAppShell()
    {
        await using var server = await RunningServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = Timeout };

        var html = await http.GetStringAsync(new Uri("/", UriKind.Relative));

        Assert.Contains("<div id=\"root\">", html, StringComparison.Ordinal);
        Assert.Contains("/assets/", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeepLinkIntoTheAppServesIndexButUnknownApiIsProblemDetails404()
    {
        await using var server = await RunningServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = Timeout };

        var page = await http.GetStringAsync(new Uri("/visits/appt-1", UriKind.Relative));
        using var api = await http.GetAsync(new Uri("/api/does-not-exist", UriKind.Relative));

        Assert.Contains("<div id=\"root\">", page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, api.StatusCode);
        Assert.Equal("application/problem+json", api.Content.Headers.ContentType?.MediaType);
    }
}
