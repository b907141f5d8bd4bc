using Microsoft.Playwright;
using VideoVisit.EndToEnd.Tests.Browsers;
using VideoVisit.Testing;
using static VideoVisit.EndToEnd.Tests.WebApp.WebAppDriver;

namespace VideoVisit.EndToEnd.Tests.WebApp;

/// <summary>
/// A patient in Firefox and a nurse in Chromium: the two engines the portal recommends on Windows
/// must meet each other, peer-to-peer and through our relay.
/// </summary>
[Trait("Category", "WebApp")]
[Trait("Engine", "Firefox")]
public sealed class CrossEngineCallTests(ChromiumFixture chromium, FirefoxFixture firefox)
    : IClassFixture<ChromiumFixture>, IClassFixture<FirefoxFixture>
{
    /// <summary>Firefox takes camera and microphone from its preferences (set by the fixture), not from context permissions.</summary>
    private async Task<IBrowserContext> NewFirefoxContextAsync()
    {
        var context = await firefox.Browser.NewContextAsync(new() { ViewportSize = Desktop, Locale = "en-GB" });
        context.SetDefaultTimeout(WaitMs);
        return context;
    }

    /// <summary>
    /// Types the message key by key: Playwright's fill over WebDriver BiDi sets the field's value
    /// without the input events a person's typing makes, so React would not see it.
    /// </summary>
    private static async Task TypeChatAsync(IPage page, string text)
    {
        await page.Locator("[data-testid=chat-input]").PressSequentiallyAsync(text, new() { Timeout = WaitMs });
        await page.ClickAsync("[data-testid=chat-send]", new() { Timeout = WaitMs });
    }

    [Fact]
    public async Task PatientInFirefoxAndNurseInChromiumSeeEachOtherAndChat()
    {
        await using var server = await RunningServer.StartAsync();
        await using var patientContext = await NewFirefoxContextAsync();
        await using var nurseContext = await NewContextAsync(chromium.Browser);

        var patient = await OpenAsAsync(patientContext, server, "patient-1", "/visit/appt-1");
        var report = await PrecheckReportAsync(patient);
        Assert.Equal("firefox", report.GetProperty("browser").GetProperty("name").GetString());
        Assert.Equal("ok", report.GetProperty("camera").GetProperty("status").GetString());
        await BeginVideoVisitAsync(patient);

        var nurse = await OpenConsoleVisitAsync(nurseContext, server, "nurse-1", "appt-1");
        await nurse.ClickAsync("[data-testid=admit-button]", new() { Timeout = WaitMs });
        await Task.WhenAll(WaitForRemoteVideosPlayingAsync(patient, 1), WaitForRemoteVideosPlayingAsync(nurse, 1));

        await TypeChatAsync(patient, "Hello from Firefox");
        await WaitForChatAsync(nurse, "Hello from Firefox");
        await SendChatAsync(nurse, "Hello from Chromium");
        await WaitForChatAsync(patient, "Hello from Chromium");
    }

    [Fact]
    public async Task RelayOnlyCallBetweenFirefoxAndChromiumGoesThroughOurRelay()
    {
        await using var server = await RunningServer.StartAsync();
        await using var patientContext = await NewFirefoxContextAsync();
        await using var nurseContext = await NewContextAsync(chromium.Browser);

        var patient = await OpenAsAsync(patientContext, server, "patient-1", "/visit/appt-1", "&relay=only");
        var report = await PrecheckReportAsync(patient);
        Assert.Equal("udp", report.GetProperty("network").GetProperty("relay").GetString());
        await BeginVideoVisitAsync(patient);
        var nurse = await OpenConsoleVisitAsync(nurseContext, server, "nurse-1", "appt-1", "&relay=only");
        await nurse.ClickAsync("[data-testid=admit-button]", new() { Timeout = WaitMs });

        await Task.WhenAll(WaitForRemoteVideosPlayingAsync(patient, 1), WaitForRemoteVideosPlayingAsync(nurse, 1));
        foreach (var page in new[] { patient, nurse })
        {
            // The path is read from getStats every few seconds; wait for the first reading.
            await page.Locator("[data-testid=remote-tile][data-connection-path=relay]").WaitForAsync(new() { Timeout = WaitMs });
            var peer = Assert.Single(await PeersAsync(page));
            Assert.Equal("relay", peer.GetProperty("localCandidateType").GetString());
        }
    }

    [Fact]
    public async Task FirefoxAndChromiumRenegotiatingAtOnceSettleByPerfectNegotiation()
    {
        await using var server = await RunningServer.StartAsync();
        await using var patientContext = await NewFirefoxContextAsync();
        await using var nurseContext = await NewContextAsync(chromium.Browser);

        var (patient, nurse) = await AdmittedAsync(server, patientContext, nurseContext);

        await Glare.ForceAsync(patient, nurse);
    }

    /// <summary>
    /// The last resort for a connection that ICE restarts cannot bring back (one that stays unconnected
    /// for 12 s is given up): the side that gives up makes a new RTCPeerConnection, and its offer makes
    /// the other side do the same, once from one side and once from both at the same moment.
    /// </summary>
    [Fact]
    public async Task AConnectionGivenUpIsMadeAnewOnBothSides()
    {
        await using var server = await RunningServer.StartAsync();
        await using var patientContext = await NewFirefoxContextAsync();
        await using var nurseContext = await NewContextAsync(chromium.Browser);

        var (patient, nurse) = await AdmittedAsync(server, patientContext, nurseContext);

        var first = await Renewal.ConnectionIdsAsync(patient, nurse);
        await patient.EvaluateAsync("() => window.__videovisitCall.renewConnections()");
        var second = await Renewal.WaitMadeAnewAsync(patient, nurse, first);

        await Task.WhenAll(patient.EvaluateAsync("() => window.__videovisitCall.renewConnections()"), nurse.EvaluateAsync("() => window.__videovisitCall.renewConnections()"));
        await Renewal.WaitMadeAnewAsync(patient, nurse, second);
    }

    /// <summary>
    /// A connection given up while a signal for it is being applied (the other side's ICE-restart
    /// offer, its setRemoteDescription still pending): a closed RTCPeerConnection never settles that
    /// operation, and the signals queued behind it, the new connection's answer among them, must
    /// still be applied. By Firefox and by Chromium.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AConnectionGivenUpWhileASignalIsBeingAppliedIsMadeAnew(bool firefoxGivesUp)
    {
        await using var server = await RunningServer.StartAsync();
        await using var patientContext = await NewFirefoxContextAsync();
        await using var nurseContext = await NewContextAsync(chromium.Browser);

        var (patient, nurse) = await AdmittedAsync(server, patientContext, nurseContext);
        var (givesUp, other) = firefoxGivesUp ? (patient, nurse) : (nurse, patient);
        var first = await Renewal.ConnectionIdsAsync(patient, nurse);

        // The other side's restart offer waits at the side that gives up, which then gives up its
        // connection while that offer is being applied.
        await givesUp.EvaluateAsync("() => window.__videovisitCall.holdSignals(true)");
        var sent = await other.EvaluateAsync<int>("() => window.__videovisitCall.negotiation().offersSent");
        await other.EvaluateAsync("() => window.__videovisitCall.renegotiate()");
        await other.WaitForFunctionAsync($"() => window.__videovisitCall.negotiation().offersSent > {sent}", null, new() { Timeout = WaitMs });
        await givesUp.EvaluateAsync("() => { window.__videovisitCall.renewConnections(true); window.__videovisitCall.holdSignals(false); }");

        await Renewal.WaitMadeAnewAsync(patient, nurse, first);
        var events = await givesUp.EvaluateAsync<string[]>("() => window.__videovisitCall.negotiationState().events");
        Assert.Contains(events, e => e.Contains(" renew ") && e.Contains("(applying offer"));
    }

    /// <summary>
    /// Both sides give up at once, but one has already taken the other's new offer and made its own
    /// connection anew for it when its own giving-up comes: that connection is its new one and is kept.
    /// (Giving it up too dropped the other side's offer and refused its new connection's signals, and
    /// both waited until the next give-up, 24 s later: seen in a fresh-clone run.)
    /// </summary>
    [Fact]
    public async Task ASideThatGivesUpJustAfterMakingItsConnectionAnewForTheOtherSideKeepsIt()
    {
        await using var server = await RunningServer.StartAsync();
        await using var patientContext = await NewFirefoxContextAsync();
        await using var nurseContext = await NewContextAsync(chromium.Browser);

        var (patient, nurse) = await AdmittedAsync(server, patientContext, nurseContext);
        var first = await Renewal.ConnectionIdsAsync(patient, nurse);

        // Firefox gives up; its new connection's offer waits at Chromium, which gives up its own
        // connection while applying that offer (after making its connection anew for it).
        await nurse.EvaluateAsync("() => window.__videovisitCall.holdSignals(true)");
        await patient.EvaluateAsync("() => window.__videovisitCall.renewConnections()");
        await nurse.WaitForFunctionAsync("() => window.__videovisitCall.negotiationState().held > 0", null, new() { Timeout = WaitMs });
        await nurse.EvaluateAsync("() => { window.__videovisitCall.renewConnections(true); window.__videovisitCall.holdSignals(false); }");

        await Renewal.WaitMadeAnewAsync(patient, nurse, first);
        var events = await nurse.EvaluateAsync<string[]>("() => window.__videovisitCall.negotiationState().events");
        Assert.Contains(events, e => e.Contains("skipped: already made anew for the other side's new connection"));
    }
}

/// <summary>Connections made anew: both sides must end on new RTCPeerConnections, connected, with video.</summary>
internal static class Renewal
{
    /// <summary>Each page's one connection, once it is connected (read from the page's mesh).</summary>
    public static async Task<string[]> ConnectionIdsAsync(IPage a, IPage b) =>
        await Task.WhenAll(new[] { a, b }.Select(async page =>
        {
            const string connected = "() => { const s = window.__videovisitCall.negotiationState(); const p = window.__videovisitCall.peers(); return !!s && s.peers.length === 1 && p.length === 1 && p[0].connectionState === 'connected'; }";
            await page.WaitForFunctionAsync(connected, null, new() { Timeout = WaitMs });
            return await page.EvaluateAsync<string>("() => window.__videovisitCall.negotiationState().peers[0].conn");
        }));

    public static async Task<string[]> WaitMadeAnewAsync(IPage a, IPage b, string[] before)
    {
        var pages = new[] { a, b };
        for (var i = 0; i < pages.Length; i++)
        {
            try
            {
                await pages[i].WaitForFunctionAsync(
                    "before => { const s = window.__videovisitCall.negotiationState(); return s.peers.length === 1 && s.peers[0].conn !== before; }",
                    before[i], new() { Timeout = WaitMs });
                await pages[i].WaitForFunctionAsync("() => window.__videovisitCall.peers().every(p => p.connectionState === 'connected')", null, new() { Timeout = WaitMs });
            }
            catch (TimeoutException)
            {
                // In brief first (a CI log shows only the start of the message), then whole.
                const string brief = "() => { const s = window.__videovisitCall.negotiationState(); return JSON.stringify({ applying: s.applying, events: s.events.slice(-4), peers: s.peers.map(p => [p.conn, p.remoteConn, p.signalingState, p.iceConnectionState, p.trace.filter(t => !t.includes(' ice ufrag')).slice(-6)]) }); }";
                var briefs = await Task.WhenAll(a.EvaluateAsync<string>(brief), b.EvaluateAsync<string>(brief));
                var states = await Task.WhenAll(a.EvaluateAsync<System.Text.Json.JsonElement>("() => window.__videovisitCall.negotiationState()"), b.EvaluateAsync<System.Text.Json.JsonElement>("() => window.__videovisitCall.negotiationState()"));
                throw new TimeoutException($"page {i + 1} has no new connected connection; in brief: {string.Join(" | ", briefs)}; negotiation: {string.Join(" | ", states.Select(s => s.GetRawText()))}");
            }
        }

        await Task.WhenAll(WaitForRemoteVideosPlayingAsync(a, 1), WaitForRemoteVideosPlayingAsync(b, 1));
        var counters = await Task.WhenAll(a.EvaluateAsync<int>("() => window.__videovisitCall.negotiation().renewedConnections"), b.EvaluateAsync<int>("() => window.__videovisitCall.negotiation().renewedConnections"));
        Assert.All(counters, c => Assert.True(c >= 1, $"renewed connections: {string.Join(", ", counters)}"));
        return await ConnectionIdsAsync(a, b);
    }
}
