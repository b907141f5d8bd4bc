using System.Net;
using VideoVisit.Server.Tests.Integration;
using VideoVisit.Testing;

namespace VideoVisit.Server.Tests.Hardening;

public sealed class SafeDefaultsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("Auth:Authority", "https://login.example.org/")]
    [InlineData("Auth:SigningKey", "an-external-issuers-key-of-at-least-32-bytes")]
    public async Task TheServerRefusesToStartWithTheDevIssuerBesideAnExternalIssuer(string setting, string value)
    {
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Auth:DevIssuer:Enabled"] = "true",
            [setting] = value,
            ["Auth:Issuer"] = "https://login.example.org/",
            ["Auth:Audience"] = "videovisit",
            ["Auth:RequireHttpsMetadata"] = "false",
        })).WaitAsync(Timeout);

        Assert.Contains("Auth:DevIssuer:Enabled", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Auth:Authority or Auth:SigningKey", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/visit/appt-1")]
    [InlineData("/api/me")]
    [InlineData("/healthz")]
    [InlineData("/api/nothing-here")]
    public async Task EveryResponseCarriesTheSecurityHeaders(string path)
    {
        await using var server = await RunningServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = Timeout };

        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));

        var csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self';", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
        Assert.Contains("connect-src 'self' ws://" + server.BaseAddress.Authority, csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.False(response.Headers.Contains("Strict-Transport-Security"), "HSTS only over HTTPS");
    }

    [Fact]
    public async Task HstsIsSentOverHttps()
    {
        using var certificate = TestCertificates.SelfSigned("localhost");
        var folder = Directory.CreateTempSubdirectory("videovisit-tls-").FullName;
        var (certPath, keyPath) = TestCertificates.WritePem(certificate, folder);
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["urls"] = "https://127.0.0.1:0",
            ["Kestrel:Certificates:Default:Path"] = certPath,
            ["Kestrel:Certificates:Default:KeyPath"] = keyPath,
        });
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert?.Thumbprint == certificate.Thumbprint };
        using var http = new HttpClient(handler) { BaseAddress = server.BaseAddress, Timeout = Timeout };

        using var response = await http.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Equal("https", server.BaseAddress.Scheme);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("max-age=31536000", Assert.Single(response.Headers.GetValues("Strict-Transport-Security")), StringComparison.Ordinal);
        Assert.Contains("wss://" + server.BaseAddress.Authority, Assert.Single(response.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
    }
}
