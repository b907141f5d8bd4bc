using Microsoft.Playwright;
using VideoVisit.EndToEnd.Tests.Browsers;

namespace VideoVisit.EndToEnd.Tests.Qa;

/// <summary>
/// The device-check scenarios in Firefox ESR (Debian's, through Playwright over WebDriver BiDi).
/// Permission denials and blocked pop-ups are real Firefox preferences (a browser of their own);
/// devices missing or busy, black frames, no RTCPeerConnection, another user agent, UDP blocked,
/// the hub unreachable and an ended track are simulated in the page (README, QA). A silent
/// microphone cannot be produced here: without an audio device Firefox never starts a Web Audio
/// context, so no level can be measured at all (the precheck then reports the level as unknown).
/// </summary>
[Trait("Category", "QA")]
[Trait("Engine", "Firefox")]
public sealed class FirefoxPrecheckScenarios(FirefoxFixture firefox, QaServerFixture server)
    : IClassFixture<FirefoxFixture>, IClassFixture<QaServerFixture>
{
    private async Task<(IQaPage Page, QaRun Run)> OpenAsync(string scenario, IBrowser? ownBrowser = null) =>
        await QaRun.SignedInAsync(await PlaywrightQaPage.OpenAsync("Firefox", ownBrowser ?? firefox.Browser, new BrowserNewContextOptions(), ownBrowser), server, scenario);

    private Task<IBrowser> LaunchWithAsync(params (string Key, object Value)[] prefs)
    {
        var all = FirefoxFixture.GrantedMediaPrefs();
        foreach (var (key, value) in prefs)
        {
            all[key] = value;
        }

        return firefox.LaunchAsync(all);
    }

    /// <summary>Opens the scenario's page, runs the precheck (under a simulation, if any), keeps its artifacts and closes the page.</summary>
    private async Task<PrecheckOutcome> PrecheckAsync(string scenario, IBrowser? ownBrowser = null, string? simulation = null) =>
        await QaRun.PrecheckAsync(await OpenAsync(scenario, ownBrowser), simulation);

    [Fact]
    [Trait("Scenario", "AllGranted")]
    public async Task AllGrantedAndWorkingIsReady()
    {
        var outcome = await PrecheckAsync("AllGranted");

        Expect.Outcome(outcome, "ready", "allowed");
        Expect.Check(outcome, "camera", "ok");
        Expect.Check(outcome, "microphone", "ok");
        Expect.Check(outcome, "network", "reachable udp");
    }

    [Fact]
    [Trait("Scenario", "CameraDenied")]
    public async Task CameraDeniedShowsFirefoxUnblockSteps()
    {
        var outcome = await PrecheckAsync("CameraDenied", await LaunchWithAsync(("permissions.default.camera", 2)));

        Expect.Outcome(outcome, "permission-denied", "warned", "permission-firefox");
        Expect.Check(outcome, "camera", "denied");
        Expect.Check(outcome, "microphone", "ok");
    }

    [Fact]
    [Trait("Scenario", "MicrophoneDenied")]
    public async Task MicrophoneDeniedShowsFirefoxUnblockSteps()
    {
        var outcome = await PrecheckAsync("MicrophoneDenied", await LaunchWithAsync(("permissions.default.microphone", 2)));

        Expect.Outcome(outcome, "permission-denied", "warned", "permission-firefox");
        Expect.Check(outcome, "camera", "ok");
        Expect.Check(outcome, "microphone", "denied");
    }

    [Fact]
    [Trait("Scenario", "BothDenied")]
    public async Task BothDeniedShowsFirefoxUnblockSteps()
    {
        var outcome = await PrecheckAsync("BothDenied", await LaunchWithAsync(("permissions.default.camera", 2), ("permissions.default.microphone", 2)));

        Expect.Outcome(outcome, "permission-denied", "warned", "permission-firefox");
        Expect.Check(outcome, "camera", "denied");
        Expect.Check(outcome, "microphone", "denied");
    }

    [Fact]
    [Trait("Scenario", "NoCamera")]
    public async Task NoCameraIsDeviceMissingAndStillAllowedToWait()
    {
        var outcome = await PrecheckAsync("NoCamera", simulation: Simulations.NoCamera);

        Expect.Outcome(outcome, "device-missing", "warned", "missing");
        Expect.Check(outcome, "camera", "missing");
    }

    [Fact]
    [Trait("Scenario", "NoMicrophone")]
    public async Task NoMicrophoneIsDeviceMissing()
    {
        var outcome = await PrecheckAsync("NoMicrophone", simulation: Simulations.NoMicrophone);

        Expect.Outcome(outcome, "device-missing", "warned", "missing");
        Expect.Check(outcome, "microphone", "missing");
    }

    [Fact]
    [Trait("Scenario", "CameraBusy")]
    public async Task CameraInUseByAnotherApplicationIsDeviceBusy()
    {
        var outcome = await PrecheckAsync("CameraBusy", simulation: Simulations.CameraBusy);

        Expect.Outcome(outcome, "device-busy", "warned", "busy");
        Expect.Check(outcome, "camera", "busy");
    }

    [Fact]
    [Trait("Scenario", "CameraCovered")]
    public async Task BlackFramesAreCameraCovered()
    {
        var outcome = await PrecheckAsync("CameraCovered", simulation: Simulations.BlackCamera);

        Expect.Outcome(outcome, "camera-covered", "warned", "covered");
    }

    [Fact]
    [Trait("Scenario", "PopupsBlocked")]
    public async Task PopupsBlockedShowsFirefoxSteps()
    {
        // Firefox's own blocker, with no event counting as permission to open a window.
        var browser = await LaunchWithAsync(("dom.disable_open_during_load", true), ("dom.popup_allowed_events", ""), ("dom.popup_maximum", 0));
        var (page, run) = await OpenAsync("PopupsBlocked", browser);
        await using var _ = page;
        await run.OpenPrecheckAsync();
        await page.ClickAsync("[data-testid=test-popups]");
        await run.WaitForAsync("document.querySelector('[data-check=popup]').getAttribute('data-status') !== 'not-checked' ? 'y' : ''", TimeSpan.FromSeconds(10), "the pop-up check");
        var outcome = await run.OutcomeAsync();
        await run.SaveAsync();

        Expect.Outcome(outcome, "popup-blocked", "warned", "popup-firefox");
        Expect.Check(outcome, "popup", "blocked");
    }

    [Fact]
    [Trait("Scenario", "PopupsAllowed")]
    public async Task PopupsAllowedFromTheUsersClick()
    {
        var (page, run) = await OpenAsync("PopupsAllowed");
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
        var outcome = await PrecheckAsync("CannotCall", simulation: Simulations.NoPeerConnection);

        Expect.Outcome(outcome, "unsupported-browser", "blocked", "cannot-call");
    }

    [Fact]
    [Trait("Scenario", "UnlistedBrowser")]
    public async Task FirefoxOnMacIsOutsideTheMatrixAndWarned()
    {
        const string firefoxOnMac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:153.0) Gecko/20100101 Firefox/153.0";
        var outcome = await PrecheckAsync("UnlistedBrowser", simulation: Simulations.UserAgent(firefoxOnMac));

        Expect.Outcome(outcome, "ready", "warned", "not-recommended");
        Expect.Problem(outcome, "browser-not-recommended");
    }

    [Fact]
    [Trait("Scenario", "UdpBlocked")]
    public async Task UdpBlockedLeavesTheTcpRelayAndWarns()
    {
        var outcome = await PrecheckAsync("UdpBlocked", simulation: Simulations.BlockUdpToRelay);

        Expect.Outcome(outcome, "relay-only", "warned", "relay-only");
        Expect.Check(outcome, "network", "reachable tcp");
    }

    [Fact]
    [Trait("Scenario", "ServerUnreachable")]
    public async Task SignallingServerUnreachableIsOfflineWithRetry()
    {
        var (page, run) = await OpenAsync("ServerUnreachable");
        await using var _ = page;
        // Installed before the app's scripts on a fresh load of the visit page, so no hub connection
        // from the Upcoming page outlives the simulated outage.
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
        var (page, run) = await OpenAsync("TrackEnded");
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
