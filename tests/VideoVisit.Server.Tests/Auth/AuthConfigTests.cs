using System.Text.Json;
using VideoVisit.Testing;

namespace VideoVisit.Server.Tests.Auth;

public sealed class AuthConfigTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task TheDemoSaysTheDevIssuerIsOnAndNamesNoProvider()
    {
        await using var server = await RunningServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = Timeout };

        using var config = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/auth/config", UriKind.Relative)));

        Assert.True(config.RootElement.GetProperty("devIssuer").GetBoolean());
        Assert.Equal(JsonValueKind.Null, config.RootElement.GetProperty("authority").ValueKind);
    }

    [Fact]
    public async Task WithAProviderTheAppIsToldWhatToUseAndThePolicyLetsItTalkToTheProvider()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Auth:DevIssuer:Enabled"] = "false",
            ["Auth:Authority"] = "https://login.example.org/realms/clinic",
            ["Auth:Audience"] = "videovisit",
            ["Auth:ClientId"] = "videovisit-web",
            ["Auth:Scopes"] = "openid profile national-id",
        });
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = Timeout };

        using var response = await http.GetAsync(new Uri("/api/auth/config", UriKind.Relative));
        using var config = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));

        Assert.False(config.RootElement.GetProperty("devIssuer").GetBoolean());
        Assert.Equal("https://login.example.org/realms/clinic", config.RootElement.GetProperty("authority").GetString());
        Assert.Equal("videovisit-web", config.RootElement.GetProperty("clientId").GetString());
        Assert.Equal("openid profile national-id", config.RootElement.GetProperty("scopes").GetString());
        Assert.Equal("/auth/callback", config.RootElement.GetProperty("redirectPath").GetString());
        Assert.Equal("/auth/silent", config.RootElement.GetProperty("silentRedirectPath").GetString());
        Assert.Equal("/", config.RootElement.GetProperty("postLogoutRedirectPath").GetString());
        Assert.Contains("https://login.example.org", csp.Split("connect-src")[1], StringComparison.Ordinal);
        Assert.Contains("frame-src 'self' https://login.example.org", csp, StringComparison.Ordinal);
    }
}
