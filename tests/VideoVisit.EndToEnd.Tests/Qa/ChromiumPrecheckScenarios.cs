using Microsoft.Playwright;
using VideoVisit.EndToEnd.Tests.Browsers;

namespace VideoVisit.EndToEnd.Tests.Qa;

/// <summary>
/// The device-check scenarios in Chromium (Debian's, through Playwright). Camera and microphone
/// permissions are real context permissions; a covered camera is a real black capture file; UDP
/// blocked is Chromium's own WebRTC policy; the signalling server is really unreachable (requests
/// aborted at the network layer). Devices missing or busy, a silent microphone, a browser without
/// RTCPeerConnection and an ended track are simulated in the page (see README, QA).
/// </summary>
[Trait("Category", "QA")]
[Trait("Engine", "Chromium")]
public sealed class ChromiumPrecheckScenarios(ChromiumFixture chromium, QaServerFixture server)
    : IClassFixture<ChromiumFixture>, IClassFixture<QaServerFixture>
{
    private static readonly string[] Both = ["camera", "microphone"];

    private async Task<(IQaPage Page, QaRun Run)> OpenAsync(string scenario, string[] permissions, IBrowser? ownBrowser = null, string? userAgent = null)
    {
        var options = new BrowserNewContextOptions { Permissions = permissions, UserAgent = userAgent };
        var page = await PlaywrightQaPage.OpenAsync("Chromium", ownBrowser ?? chromium.Browser, options, ownBrowser);
        return await QaRun.SignedInAsync(page, server, scenario);
    }

    /// <summary>Opens the scenario's page, runs the precheck (under a simulation, if any), keeps its artifacts and closes the page.</summary>
    private async Task<PrecheckOutcome> PrecheckAsync(string scenario, string[] permissions, IBrowser? ownBrowser = null, string? userAgent = null, string? simulation = null) =>
        await QaRun.PrecheckAsync(await OpenAsync(scenario, permissions, ownBrowser, userAgent), simulation);

    [Fact]
    [Trait("Scenario", "AllGranted")]
    public async Task AllGrantedAndWorkingIsReady()
    {
        var outcome = await PrecheckAsync("AllGranted", Both);

        Expect.Outcome(outcome, "ready", "allowed");
        Expect.Check(outcome, "camera", "ok");
        Expect.Check(outcome, "microphone", "ok");
        Expect.Check(outcome, "network", "reachable udp");
    }

    [Fact]
    [Trait("Scenario", "CameraDenied")]
    public async Task CameraDeniedShowsChromeUnblockSteps()
    {
        var outcome = await PrecheckAsync("CameraDenied", ["microphone"]);

        Expect.Outcome(outcome, "permission-denied", "warned", "permission-chrome");
        Expect.Check(outcome, "camera", "denied");
        Expect.Check(outcome, "microphone", "ok");
    }

    [Fact]
    [Trait("Scenario", "MicrophoneDenied")]
    public async Task MicrophoneDeniedShowsChromeUnblockSteps()
    {
        var outcome = await PrecheckAsync("MicrophoneDenied", ["camera"]);

        Expect.Outcome(outcome, "permission-denied", "warned", "permission-chrome");
        Expect.Check(outcome, "camera", "ok");
        Expect.Check(outcome, "microphone", "denied");
    }

    [Fact]
    [Trait("Scenario", "BothDenied")]
    public async Task BothDeniedShowsChromeUnblockSteps()
    {
        var outcome = await PrecheckAsync("BothDenied", []);

        Expect.Outcome(outcome, "permission-denied", "warned", "permission-chrome");
        Expect.Check(outcome, "camera", "denied");
        Expect.Check(outcome, "microphone", "denied");
    }

    [Fact]
    [Trait("Scenario", "NoCamera")]
    public async Task NoCameraIsDeviceMissingAndStillAllowedToWait()
    {
        var outcome = await PrecheckAsync("NoCamera", Both, simulation: Simulations.NoCamera);

        Expect.Outcome(outcome, "device-missing", "warned", "missing");
        Expect.Check(outcome, "camera", "missing");
        Expect.Check(outcome, "microphone", "ok");
    }

    [Fact]
    [Trait("Scenario", "NoMicrophone")]
    public async Task NoMicrophoneIsDeviceMissing()
    {
        var outcome = await PrecheckAsync("NoMicrophone", Both, simulation: Simulations.NoMicrophone);

        Expect.Outcome(outcome, "device-missing", "warned", "missing");
        Expect.Check(outcome, "camera", "ok");
        Expect.Check(outcome, "microphone", "missing");
    }

    [Fact]
    [Trait("Scenario", "CameraBusy")]
    public async Task CameraInUseByAnotherApplicationIsDeviceBusy()
    {
        var outcome = await PrecheckAsync("CameraBusy", Both, simulation: Simulations.CameraBusy);

        Expect.Outcome(outcome, "device-busy", "warned", "busy");
        Expect.Check(outcome, "camera", "busy");
    }

    [Fact]
    [Trait("Scenario", "CameraCovered")]
    public async Task BlackCaptureFileIsCameraCovered()
    {
        var browser = await chromium.LaunchAsync(["--use-file-for-fake-video-capture=" + BlackVideoFile.Create()]);
        var outcome = await PrecheckAsync("CameraCovered", Both, browser);

        Expect.Outcome(outcome, "camera-covered", "warned", "covered");
        Expect.Check(outcome, "camera", "ok");
    }

    [Fact]
    [Trait("Scenario", "SilentMicrophone")]
    public async Task SilentMicrophoneWarns()
    {
        var outcome = await PrecheckAsync("SilentMicrophone", Both, simulation: Simulations.SilentMicrophone);

        Expect.Outcome(outcome, "ready", "warned", "silent");
        Expect.Problem(outcome, "microphone-silent");
    }

    [Fact]
    [Trait("Scenario", "PopupsBlocked")]
    public async Task PopupsBlockedShowsChromeSteps()
    {
        // Playwright turns Chromium's pop-up blocker off; leaving its switch out turns it back on.
        // Chromium lets a click open a window whatever the setting, so the check is started the
        // way a blocked pop-up happens in practice: without user activation (a CDP evaluation
        // with userGesture false), which Chromium's own blocker refuses.
        var browser = await chromium.LaunchAsync([], ["--disable-popup-blocking"]);
        var (page, run) = await OpenAsync("PopupsBlocked", Both, browser);
        await using var _ = page;
        await run.OpenPrecheckAsync();
        var playwright = (PlaywrightQaPage)page;
        // Playwright's own evaluations count as user gestures; let that transient activation (5 s) lapse.
        await Task.Delay(TimeSpan.FromSeconds(5.5));
        var cdp = await playwright.Page.Context.NewCDPSessionAsync(playwright.Page);
        await cdp.SendAsync("Runtime.evaluate", new Dictionary<string, object>
        {
            ["expression"] = "document.querySelector('[data-testid=test-popups]').click()",
            ["userGesture"] = false,
        });
        await run.WaitForAsync("document.querySelector('[data-check=popup]').getAttribute('data-status') !== 'not-checked' ? 'y' : ''", TimeSpan.FromSeconds(10), "the pop-up check");
        var outcome = await run.OutcomeAsync();
        await run.SaveAsync();

        Expect.Outcome(outcome, "popup-blocked", "warned", "popup-chrome");
        Expect.Check(outcome, "popup", "blocked");
    }

    [Fact]
    [Trait("Scenario", "PopupsAllowed")]
    public async Task PopupsAllowedFromTheUsersClick()
    {
        var (page, run) = await OpenAsync("PopupsAllowed", Both);
        await using var _ = page;
        await run.OpenPrecheckAsync();
        await page.ClickAsync("[data-testid=test-popups]");
        await run.WaitForAsync("document.querySelector('[data-check=popup]').getAttribute('data-status') !== 'not-checked' ? 'y' : ''", TimeSpan.FromSeconds(10), "the pop-up check");
        var outcome = await run.OutcomeAsync();
        await run.SaveAsync();

        Expect.Outcome(outcome, "ready", "allowed");
        Expect.Check(outcome, "popup", "allowed");
    }

    [Fact]
    [Trait("Scenario", "CannotCall")]
    public async Task BrowserWithoutPeerConnectionCannotMakeVideoCalls()
    {
        var outcome = await PrecheckAsync("CannotCall", Both, simulation: Simulations.NoPeerConnection);

        Expect.Outcome(outcome, "unsupported-browser", "blocked", "cannot-call");
    }

    [Fact]
    [Trait("Scenario", "UnlistedBrowser")]
    public async Task BrowserOutsideTheMatrixIsWarned()
    {
        // Opera on Windows: Chromium's engine, but not a browser the portal recommends there.
        const string opera = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36 OPR/120.0.0.0";
        var outcome = await PrecheckAsync("UnlistedBrowser", Both, userAgent: opera);

        Expect.Outcome(outcome, "ready", "warned", "not-recommended");
        Expect.Problem(outcome, "browser-not-recommended");
    }

    [Fact]
    [Trait("Scenario", "UdpBlocked")]
    public async Task UdpBlockedLeavesTheTcpRelayAndWarns()
    {
        // Chromium's own policy: no UDP except through a proxy, so only TURN over TCP gathers.
        var browser = await chromium.LaunchAsync(["--webrtc-ip-handling-policy=disable_non_proxied_udp", "--force-webrtc-ip-handling-policy"]);
        var outcome = await PrecheckAsync("UdpBlocked", Both, browser);

        Expect.Outcome(outcome, "relay-only", "warned", "relay-only");
        Expect.Check(outcome, "network", "reachable tcp");
    }

    [Fact]
    [Trait("Scenario", "ServerUnreachable")]
    public async Task SignallingServerUnreachableIsOfflineWithRetry()
    {
        var (page, run) = await OpenAsync("ServerUnreachable", Both);
        await using var _ = page;
        // The app opens the hub as a WebSocket without an HTTP negotiate first, which request routing
        // does not see: the page's fetch, XMLHttpRequest and WebSocket to /hubs fail instead, installed
        // before the app's scripts on a fresh load of the visit page.
        await ((PlaywrightQaPage)page).Page.Context.AddInitScriptAsync(Simulations.HubUnreachable);
        await page.GotoAsync(new Uri(server.BaseAddress, "/visit/appt-1"));
        var offline = await run.WaitForFinishedAsync();
        await run.SaveAsync();

        Expect.Outcome(offline, "offline", "blocked", "offline");

        await page.RunAsync("window.__qaRestoreHub();");
        await page.ClickAsync("[data-testid=precheck-retry]");
        await run.WaitForAsync("(() => { const r = document.querySelector('[data-precheck-state]'); const s = r && r.getAttribute('data-precheck-state'); return s && s !== 'checking' && s !== 'offline' ? s : ''; })()", QaRun.PrecheckTimeout, "the retried precheck");
        var back = await run.OutcomeAsync();
        await run.SaveAsync("after-retry");
        Expect.Outcome(back, "ready", "allowed");
    }

    [Fact]
    [Trait("Scenario", "TrackEnded")]
    public async Task CameraEndingDuringTheVisitOffersAnotherDevice()
    {
        var (page, run) = await OpenAsync("TrackEnded", Both);
        await using var _ = page;
        var ready = await run.OpenPrecheckAsync(Simulations.RecordTracks);
        Expect.Outcome(ready, "ready", "allowed");
        await using var nurse = await VisitAdmission.AdmitPatientAsync(page, run, server);

        await page.RunAsync(Simulations.EndCameraTrack);
        await run.WaitForAsync("document.querySelector('[data-testid=track-ended][data-kind=video]') ? 'y' : ''", TimeSpan.FromSeconds(10), "the camera-stopped banner");
        var picker = await page.EvalAsync("document.querySelectorAll('select[data-testid=track-ended-device] option').length");
        await run.SaveAsync();

        Assert.True(int.Parse(picker, System.Globalization.CultureInfo.InvariantCulture) > 0, "the banner offers devices to pick");
        await nurse.InvokeAsync("EndVisit", await page.EvalAsync("document.querySelector('[data-visit-id]').getAttribute('data-visit-id')"));
    }
}
