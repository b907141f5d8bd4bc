using VideoVisit.EndToEnd.Tests.Browsers;

namespace VideoVisit.EndToEnd.Tests.Qa;

/// <summary>
/// The device-check scenarios in WebKit (Safari's engine: Debian's WebKitGTK MiniBrowser through
/// WebKitWebDriver, under the fixture's Xvfb). WebKitGTK really has no RTCPeerConnection, so every
/// scenario's state is <c>unsupported-browser</c> and Begin video visit is blocked; each scenario
/// still checks that its own problem is found and that the Safari guidance for it is shown.
/// Pop-ups are blocked by MiniBrowser's own setting (for a window opened without a user gesture); camera and microphone failures, black frames,
/// a silent microphone and the hub unreachable are simulated in the page (WebKit under automation
/// always grants media). UDP blocked and an ended track in a call need RTCPeerConnection and are
/// not produced here (README, QA).
/// </summary>
[Trait("Category", "QA")]
[Trait("Engine", "WebKit")]
public sealed class WebKitPrecheckScenarios(WebKitFixture webkit, QaServerFixture server)
    : IClassFixture<WebKitFixture>, IClassFixture<QaServerFixture>
{
    private Task<(IQaPage Page, QaRun Run)> OpenAsync(string scenario, params string[] browserArgs) =>
        QaRun.SignedInAsync(new WebDriverQaPage(webkit.NewSession(browserArgs)), server, scenario);

    private static void CannotCallWith(PrecheckOutcome outcome, string problem, params string[] guidance)
    {
        Expect.Outcome(outcome, "unsupported-browser", "blocked", ["cannot-call", .. guidance]);
        Expect.Problem(outcome, problem);
    }

    /// <summary>Opens the scenario's page, runs the precheck (under a simulation, if any), keeps its artifacts and closes the page.</summary>
    private async Task<PrecheckOutcome> PrecheckAsync(string? simulation, string scenario, params string[] browserArgs) =>
        await QaRun.PrecheckAsync(await OpenAsync(scenario, browserArgs), simulation);

    [Fact]
    [Trait("Scenario", "AllGranted")]
    public async Task AllGrantedDevicesWorkButThisWebKitCannotCall()
    {
        var outcome = await PrecheckAsync(null, "AllGranted");

        Expect.Outcome(outcome, "unsupported-browser", "blocked", "cannot-call");
        Expect.Check(outcome, "camera", "ok");
        Expect.Check(outcome, "microphone", "ok");
        Assert.Equal(["cannot-call"], outcome.Problems);
    }

    [Fact]
    [Trait("Scenario", "CameraDenied")]
    public async Task CameraDeniedShowsSafariUnblockSteps()
    {
        var outcome = await PrecheckAsync(Simulations.DenyCamera, "CameraDenied");

        CannotCallWith(outcome, "camera-denied", "permission-safari");
        Expect.Check(outcome, "camera", "denied");
        Expect.Check(outcome, "microphone", "ok");
    }

    [Fact]
    [Trait("Scenario", "MicrophoneDenied")]
    public async Task MicrophoneDeniedShowsSafariUnblockSteps()
    {
        var outcome = await PrecheckAsync(Simulations.DenyMicrophone, "MicrophoneDenied");

        CannotCallWith(outcome, "microphone-denied", "permission-safari");
        Expect.Check(outcome, "microphone", "denied");
    }

    [Fact]
    [Trait("Scenario", "BothDenied")]
    public async Task BothDeniedShowsSafariUnblockSteps()
    {
        var outcome = await PrecheckAsync(Simulations.DenyBoth, "BothDenied");

        CannotCallWith(outcome, "camera-denied", "permission-safari");
        Expect.Problem(outcome, "microphone-denied");
    }

    [Fact]
    [Trait("Scenario", "NoCamera")]
    public async Task NoCameraIsFound()
    {
        var outcome = await PrecheckAsync(Simulations.NoCamera, "NoCamera");

        CannotCallWith(outcome, "camera-missing", "missing");
        Expect.Check(outcome, "camera", "missing");
    }

    [Fact]
    [Trait("Scenario", "NoMicrophone")]
    public async Task NoMicrophoneIsFound()
    {
        var outcome = await PrecheckAsync(Simulations.NoMicrophone, "NoMicrophone");

        CannotCallWith(outcome, "microphone-missing", "missing");
        Expect.Check(outcome, "microphone", "missing");
    }

    [Fact]
    [Trait("Scenario", "CameraBusy")]
    public async Task CameraInUseByAnotherApplicationIsFound()
    {
        var outcome = await PrecheckAsync(Simulations.CameraBusy, "CameraBusy");

        CannotCallWith(outcome, "camera-busy", "busy");
    }

    [Fact]
    [Trait("Scenario", "CameraCovered")]
    public async Task BlackFramesAreFound()
    {
        var outcome = await PrecheckAsync(Simulations.BlackCamera, "CameraCovered");

        CannotCallWith(outcome, "camera-covered", "covered");
    }

    [Fact]
    [Trait("Scenario", "SilentMicrophone")]
    public async Task SilentMicrophoneIsFound()
    {
        var outcome = await PrecheckAsync(Simulations.SilentMicrophone, "SilentMicrophone");

        CannotCallWith(outcome, "microphone-silent", "silent");
    }

    [Fact]
    [Trait("Scenario", "PopupsBlocked")]
    public async Task PopupsBlockedShowsSafariSteps()
    {
        // MiniBrowser's default setting blocks windows a page opens on its own; WebKit lets a real
        // click through, so the check is started from script (no user gesture), which it refuses.
        var (page, run) = await OpenAsync("PopupsBlocked");
        await using var _ = page;
        await run.OpenPrecheckAsync();
        await page.RunAsync("document.querySelector('[data-testid=test-popups]').click();");
        await run.WaitForAsync("document.querySelector('[data-check=popup]').getAttribute('data-status') !== 'not-checked' ? 'y' : ''", TimeSpan.FromSeconds(10), "the pop-up check");
        var outcome = await run.OutcomeAsync();
        await run.SaveAsync();

        CannotCallWith(outcome, "popup-blocked", "popup-safari");
        Expect.Check(outcome, "popup", "blocked");
    }

    [Fact]
    [Trait("Scenario", "PopupsAllowed")]
    public async Task PopupsAllowedWhenTheBrowserAllowsThem()
    {
        var (page, run) = await OpenAsync("PopupsAllowed", "--javascript-can-open-windows-automatically=true");
        await using var _ = page;
        await run.OpenPrecheckAsync();
        await page.ClickAsync("[data-testid=test-popups]");
        await run.WaitForAsync("document.querySelector('[data-check=popup]').getAttribute('data-status') !== 'not-checked' ? 'y' : ''", TimeSpan.FromSeconds(10), "the pop-up check");
        var outcome = await run.OutcomeAsync();
        await run.SaveAsync();

        Expect.Check(outcome, "popup", "allowed");
        Expect.NoProblem(outcome, "popup-blocked");
    }

    [Fact]
    [Trait("Scenario", "CannotCall")]
    public async Task WebKitWithoutPeerConnectionSaysItCannotMakeVideoCalls()
    {
        var (page, run) = await OpenAsync("CannotCall");
        await using var _ = page;
        var outcome = await run.OpenPrecheckAsync();
        await run.SaveAsync();

        Expect.Outcome(outcome, "unsupported-browser", "blocked", "cannot-call");
        Assert.Equal("false", await page.EvalAsync("typeof window.RTCPeerConnection === 'function'"));
        Assert.Contains("video call", outcome.Guidance["cannot-call"], StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    [Trait("Scenario", "ServerUnreachable")]
    public async Task SignallingServerUnreachableIsOfflineWithRetry()
    {
        var (page, run) = await OpenAsync("ServerUnreachable");
        await using var _ = page;
        var offline = await run.OpenPrecheckAsync(Simulations.HubUnreachable);
        await run.SaveAsync();

        CannotCallWith(offline, "offline", "offline");

        await page.RunAsync("window.__qaRestoreHub();");
        await page.ClickAsync("[data-testid=precheck-retry]");
        await run.WaitForAsync("(() => { const r = document.querySelector('[data-precheck-problems]'); return r && r.getAttribute('data-precheck-state') !== 'checking' && !r.getAttribute('data-precheck-problems').split(' ').includes('offline') ? 'y' : ''; })()", QaRun.PrecheckTimeout, "the retried precheck");
        var back = await run.OutcomeAsync();
        await run.SaveAsync("after-retry");
        Expect.NoProblem(back, "offline");
        Expect.Check(back, "network", "reachable skipped");
    }
}
