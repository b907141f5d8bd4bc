using Microsoft.Playwright;
using VideoVisit.Media.Tests.Support;

namespace VideoVisit.Media.Tests.Browser;

/// <summary>
/// Real Firefox: the relay-only call of <see cref="ChromiumRelayTests"/> through <c>turns:</c> alone,
/// with a profile whose NSS database (cert9.db, made by certutil) trusts the test CA.
/// </summary>
[Trait("Category", "Browser")]
public sealed class FirefoxRelayTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task TwoRelayOnlyPeerConnectionsConnectThroughTurnsAloneAndVideoFlows()
    {
        using var certificate = TestCertificate.Create();
        using var relay = RelayUnderTest.Start(o => o.AllowedPeers.Add("127.0.0.0/8"), systemTime: true, tls: certificate);
        var profile = Path.Combine(certificate.Directory, "firefox-profile");
        NssTrust.Trust(profile, certificate.AuthorityPath);

        using var playwright = await Playwright.CreateAsync().WaitAsync(Timeout);
        await using var context = await playwright.Firefox.LaunchPersistentContextAsync(profile, new()
        {
            Channel = "moz-firefox",
            ExecutablePath = "/usr/bin/firefox-esr",
            Headless = true,
            Timeout = 60_000,
            FirefoxUserPrefs = new Dictionary<string, object>
            {
                ["media.navigator.streams.fake"] = true,
                ["permissions.default.camera"] = 1,
                ["permissions.default.microphone"] = 1,
                // The relay listens on 127.0.0.1; Firefox leaves loopback out of ICE unless told.
                ["media.peerconnection.ice.loopback"] = true,
            },
        }).WaitAsync(Timeout);
        var page = context.Pages.Count > 0 ? context.Pages[0] : await context.NewPageAsync().WaitAsync(Timeout);
        await page.RouteAsync("http://127.0.0.1/relay-test", route => route.FulfillAsync(new() { ContentType = "text/html", Body = ChromiumRelayTests.Page })).WaitAsync(Timeout);
        await page.GotoAsync("http://127.0.0.1/relay-test").WaitAsync(Timeout);

        var (username, password) = relay.Rest("patient-1");
        var url = $"turns:localhost:{relay.TlsEndPoint.Port}?transport=tcp";
        await page.EvaluateAsync("([u, n, c]) => start(u, n, c)", new[] { url, username, password }).WaitAsync(Timeout);

        var first = await ChromiumRelayTests.WaitForAsync(page, s => s.State == "connected" && s.Inbound > 0);
        Assert.Equal("relay", first.Local);
        Assert.Equal("relay", first.Remote);
        Assert.Equal("tls", first.RelayProtocol);
        await Task.Delay(1500);
        var later = await ChromiumRelayTests.WaitForAsync(page, s => s.Inbound > first.Inbound);
        Assert.True(later.Inbound > first.Inbound);
        Assert.True(relay.Server.Streams.TlsServed >= 1, "no connection came in over TLS");
        Assert.True(relay.Counters.PacketsToClients > 0 && relay.Counters.PacketsToPeers > 0);
    }
}
