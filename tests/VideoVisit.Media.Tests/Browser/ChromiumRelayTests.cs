using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Playwright;
using VideoVisit.Media.Stun;
using VideoVisit.Media.Tests.Support;

namespace VideoVisit.Media.Tests.Browser;

/// <summary>
/// Real Chromium: two RTCPeerConnections that may only use relay candidates, with our relay as the
/// only ICE server, send the fake camera to each other. Set VIDEOVISIT_CAPTURE_DIR to write the STUN
/// messages Chromium sent the relay as hex (that is how TestData/chromium was made).
/// </summary>
[Trait("Category", "Browser")]
public sealed class ChromiumRelayTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    internal const string Page = """
        <!doctype html><meta charset="utf-8"><title>relay test</title>
        <script>
        async function start(urls, username, credential) {
          const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
          const config = { iceServers: [{ urls, username, credential }], iceTransportPolicy: 'relay' };
          const a = new RTCPeerConnection(config), b = new RTCPeerConnection(config);
          a.onicecandidate = e => e.candidate && b.addIceCandidate(e.candidate);
          b.onicecandidate = e => e.candidate && a.addIceCandidate(e.candidate);
          stream.getTracks().forEach(t => a.addTrack(t, stream));
          window.pcs = { a, b };
          const offer = await a.createOffer();
          await a.setLocalDescription(offer);
          await b.setRemoteDescription(offer);
          const answer = await b.createAnswer();
          await b.setLocalDescription(answer);
          await a.setRemoteDescription(answer);
        }
        async function stats() {
          const s = await window.pcs.b.getStats();
          let pair, inbound = 0;
          s.forEach(r => { if (r.type === 'transport' && r.selectedCandidatePairId) pair = s.get(r.selectedCandidatePairId); });
          s.forEach(r => { if (r.type === 'inbound-rtp' && r.kind === 'video') inbound = r.packetsReceived; });
          const local = pair && s.get(pair.localCandidateId), remote = pair && s.get(pair.remoteCandidateId);
          return JSON.stringify({ state: window.pcs.b.connectionState, local: local && local.candidateType,
            remote: remote && remote.candidateType, relayProtocol: local && local.relayProtocol, inbound });
        }
        </script>
        """;

    [Theory]
    [InlineData("udp")]
    [InlineData("tcp")]
    [InlineData("tls")]
    public async Task TwoRelayOnlyPeerConnectionsConnectThroughTheRelayAndVideoFlows(string transport)
    {
        using var certificate = TestCertificate.Create();
        using var relay = RelayUnderTest.Start(o => o.AllowedPeers.Add("127.0.0.0/8"), systemTime: true, tls: certificate);
        // Chromium reads its trust store from $HOME/.pki/nssdb: a home of its own that trusts the test CA.
        var home = Path.Combine(certificate.Directory, "home");
        NssTrust.Trust(Path.Combine(home, ".pki", "nssdb"), certificate.AuthorityPath);
        var captured = new ConcurrentQueue<byte[]>();
        relay.Server.ClientPacketObserver = (_, packet) =>
        {
            if (packet.Length >= 20 && packet[0] < 0x40 && captured.Count < 200)
            {
                captured.Enqueue(packet);
            }
        };

        using var playwright = await Playwright.CreateAsync().WaitAsync(Timeout);
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"],
            Env = new Dictionary<string, string> { ["HOME"] = home },
        }).WaitAsync(Timeout);
        var context = await browser.NewContextAsync(new() { Permissions = ["camera"] }).WaitAsync(Timeout);
        var page = await context.NewPageAsync().WaitAsync(Timeout);
        // Served from http://127.0.0.1 through routing: a secure context, so getUserMedia is allowed.
        await page.RouteAsync("http://127.0.0.1/relay-test", route => route.FulfillAsync(new() { ContentType = "text/html", Body = Page })).WaitAsync(Timeout);
        await page.GotoAsync("http://127.0.0.1/relay-test").WaitAsync(Timeout);

        var url = transport switch
        {
            "udp" => $"turn:127.0.0.1:{relay.UdpEndPoint.Port}?transport=udp",
            "tcp" => $"turn:127.0.0.1:{relay.TcpEndPoint.Port}?transport=tcp",
            _ => $"turns:localhost:{relay.TlsEndPoint.Port}?transport=tcp", // turns: alone: no UDP, no plain TCP offered
        };
        var (username, password) = relay.Rest("patient-1");
        await page.EvaluateAsync("([u, n, c]) => start(u, n, c)", new[] { url, username, password }).WaitAsync(Timeout);

        var first = await WaitForAsync(page, s => s.State == "connected" && s.Inbound > 0);
        Assert.Equal("relay", first.Local);
        Assert.Equal("relay", first.Remote);
        Assert.Equal(transport, first.RelayProtocol);
        if (transport == "tls")
        {
            Assert.True(relay.Server.Streams.TlsServed >= 1, "no connection came in over TLS");
        }
        await Task.Delay(1500);
        var later = await WaitForAsync(page, s => s.Inbound > first.Inbound);
        Assert.True(later.Inbound > first.Inbound);
        Assert.True(relay.Counters.PacketsToClients > 0 && relay.Counters.PacketsToPeers > 0);
        Assert.True(relay.Counters.AllocationsCreated >= 2);

        var capture = Environment.GetEnvironmentVariable("VIDEOVISIT_CAPTURE_DIR");
        if (!string.IsNullOrEmpty(capture))
        {
            Directory.CreateDirectory(capture);
            var lines = captured.Select(p =>
            {
                var kind = StunMessage.TryParse(p, out var m) ? $"{m.Class}-{m.Method}" : "unparsed";
                return $"{kind} {Convert.ToHexStringLower(p)}";
            }).Distinct();
            await File.WriteAllLinesAsync(Path.Combine(capture, $"chromium-turn-{transport}.hex"),
                [$"# STUN/TURN messages Chromium sent our relay over {transport} (one per line: class-method hex)", .. lines]);
        }

        await context.CloseAsync().WaitAsync(Timeout);
    }

    internal static async Task<Stats> WaitForAsync(IPage page, Func<Stats, bool> condition)
    {
        var deadline = DateTime.UtcNow + Timeout;
        Stats? last = null;
        while (DateTime.UtcNow < deadline)
        {
            var json = await page.EvaluateAsync<string>("() => stats()").WaitAsync(Timeout);
            last = JsonSerializer.Deserialize<Stats>(json, JsonSerializerOptions.Web)!;
            if (condition(last))
            {
                return last;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("stats never met the condition; last: " + JsonSerializer.Serialize(last));
    }

    internal sealed record Stats(string State, string? Local, string? Remote, string? RelayProtocol, int Inbound);
}
