using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using VideoVisit.EndToEnd.Tests.Browsers;
using VideoVisit.Media.Hosting;
using VideoVisit.Testing;
using static VideoVisit.EndToEnd.Tests.WebApp.WebAppDriver;

namespace VideoVisit.EndToEnd.Tests.WebApp;

/// <summary>
/// One port for everything (<c>Turn:OnePort</c>): the web app, the hub and a relay-only call all go
/// through the server's single HTTPS port, in a Chromium whose NSS database trusts the test CA.
/// The page is offered only the <c>turns:</c> URL (UDP and plain TCP taken out of
/// <c>/api/ice-servers</c>), so the call can only use TURN over TLS on that port.
/// </summary>
[Trait("Category", "WebApp")]
public sealed class OnePortTests
{
    [Fact]
    public async Task TheAppTheHubAndARelayOnlyCallAllGoThroughTheOneHttpsPort()
    {
        using var certificate = TestCertificate.Create();
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Turn:OnePort"] = "true",
            ["Turn:TlsPort"] = "0",
            ["Turn:CertificatePath"] = certificate.CertificatePath,
            ["Turn:KeyPath"] = certificate.KeyPath,
        });
        Assert.Equal("https", server.BaseAddress.Scheme);
        // The server listens on that one port only: the page, the hub's WebSocket and the relay all use it.
        var addresses = server.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses;
        Assert.Equal(server.BaseAddress.ToString().TrimEnd('/'), Assert.Single(addresses).TrimEnd('/'));
        var port = server.BaseAddress.Port;

        var home = Path.Combine(certificate.Directory, "home");
        NssTrust.Trust(Path.Combine(home, ".pki", "nssdb"), certificate.AuthorityPath);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumFixture.ExecutablePath,
            Headless = true,
            Timeout = 60_000,
            Env = new Dictionary<string, string> { ["HOME"] = home },
            Args = ["--use-fake-device-for-media-stream", "--autoplay-policy=no-user-gesture-required", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        });

        using var http = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new()
            {
                CertificateChainPolicy = new()
                {
                    TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust,
                    CustomTrustStore = { certificate.Authority },
                    RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
                },
            },
        });
        var offered = new List<string>();
        var seen = new List<string>();
        async Task<IBrowserContext> ContextAsync()
        {
            var context = await NewContextAsync(browser);
            await context.RouteAsync("**/api/ice-servers", async route =>
            {
                // Fetched here, not with route.FetchAsync: Playwright's driver would not trust the test CA.
                using var request = new HttpRequestMessage(HttpMethod.Get, route.Request.Url);
                request.Headers.TryAddWithoutValidation("Authorization", route.Request.Headers.GetValueOrDefault("authorization", ""));
                using var response = await http.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                lock (offered)
                {
                    seen.Add(body);
                }

                var servers = JsonNode.Parse(body)!.AsArray();
                var kept = new JsonArray();
                foreach (var entry in servers)
                {
                    var urls = entry!["urls"]!.AsArray().Select(u => u!.GetValue<string>()).Where(u => u.StartsWith("turns:", StringComparison.Ordinal)).ToList();
                    lock (offered)
                    {
                        offered.AddRange(urls);
                    }

                    if (urls.Count > 0)
                    {
                        kept.Add(new JsonObject { ["urls"] = new JsonArray([.. urls.Select(u => (JsonNode)u)]), ["username"] = entry["username"]!.GetValue<string>(), ["credential"] = entry["credential"]!.GetValue<string>() });
                    }
                }

                await route.FulfillAsync(new() { Status = (int)response.StatusCode, ContentType = "application/json", Body = kept.ToJsonString() });
            });
            return context;
        }

        await using var patientContext = await ContextAsync();
        await using var nurseContext = await ContextAsync();
        var patient = await OpenAsAsync(patientContext, server, "patient-1", "/visit/appt-1", "&relay=only");
        await BeginVideoVisitAsync(patient);
        var nurse = await OpenConsoleVisitAsync(nurseContext, server, "nurse-1", "appt-1", "&relay=only");
        await nurse.ClickAsync("[data-testid=admit-button]", new() { Timeout = WaitMs });
        await Task.WhenAll(WaitForRemoteVideosPlayingAsync(patient, 1), WaitForRemoteVideosPlayingAsync(nurse, 1));

        lock (offered)
        {
            Assert.True(offered.Count > 0, "no turns: URL in /api/ice-servers: " + string.Join(" | ", seen));
            Assert.All(offered, url => Assert.EndsWith(":" + port + "?transport=tcp", url, StringComparison.Ordinal));
        }

        // Both pages may only use relay candidates and were offered only the turns: URL on the HTTPS
        // port, so the video above came through it; the relay's own counters say so too. (The pages'
        // stats poll naming the pair is not waited for: on a busy machine it came late or not at all.)
        var relay = server.Services.GetRequiredService<TurnRelayStatus>();
        Assert.True(relay.TlsConnectionsServed >= 2, $"TURN clients served on the HTTPS port: {relay.TlsConnectionsServed}");
        Assert.Null(relay.TlsEndPoint); // no TLS listener of the relay's own: the HTTPS port carried it
        Assert.True(relay.Counters.PacketsToPeers > 0 && relay.Counters.PacketsToClients > 0);
    }
}
