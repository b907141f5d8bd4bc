using System.Text.Json;
using Microsoft.Playwright;
using VideoVisit.EndToEnd.Tests.Browsers;
using VideoVisit.Testing;
using static VideoVisit.EndToEnd.Tests.WebApp.WebAppDriver;

namespace VideoVisit.EndToEnd.Tests.WebApp;

/// <summary>
/// The call screen in Chromium (real server, fake devices): layout on a phone, in landscape, on a
/// desktop and a tablet console; keyboard shortcuts; screen share; audio fallback under throttling;
/// the device check's connection test; perfect negotiation under glare. Screenshots go to
/// <c>test-results/call-screen/</c>.
/// </summary>
[Trait("Category", "WebApp")]
[Trait("Engine", "Chromium")]
public sealed class CallScreenTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private static readonly ViewportSize PhoneLandscape = new() { Width = 640, Height = 360 };
    private static readonly ViewportSize Tablet = new() { Width = 800, Height = 1000 };

    private sealed record Box(double Top, double Bottom, double Left, double Right, double Width, double Height);

    private static async Task<Box> BoxAsync(IPage page, string selector)
    {
        var b = await page.EvaluateAsync<JsonElement>(
            "(s) => { const r = document.querySelector(s).getBoundingClientRect(); return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width, height: r.height }; }",
            selector);
        return new Box(b.GetProperty("top").GetDouble(), b.GetProperty("bottom").GetDouble(), b.GetProperty("left").GetDouble(), b.GetProperty("right").GetDouble(), b.GetProperty("width").GetDouble(), b.GetProperty("height").GetDouble());
    }

    private static async Task ScreenshotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts.Directory("call-screen"), name + ".png"), Timeout = WaitMs });

    /// <summary>The patient knocks, the professional admits, both see each other's video.</summary>
    private static async Task AssertInViewAsync(IPage page, string selector, int viewportHeight, int viewportWidth)
    {
        var box = await BoxAsync(page, selector);
        Assert.True(box.Top >= 0 && box.Bottom <= viewportHeight + 0.5 && box.Left >= 0 && box.Right <= viewportWidth + 0.5,
            $"{selector} is not in the {viewportWidth}×{viewportHeight} view without scrolling: {box}");
    }

    private static async Task AssertNoScrollingAsync(IPage page)
    {
        var (scroll, inner) = (await page.EvaluateAsync<int>("() => document.documentElement.scrollHeight"), await page.EvaluateAsync<int>("() => innerHeight"));
        Assert.True(scroll <= inner + 1, $"the call page scrolls: {scroll} px of content in a {inner} px window");
    }

    [Fact]
    public async Task PhoneShowsTheOtherPersonLargeAndTheControlsWithoutScrollingInPortraitAndLandscape()
    {
        await using var server = await RunningServer.StartAsync();
        await using var patientContext = await NewContextAsync(chromium.Browser, Phone);
        await using var nurseContext = await NewContextAsync(chromium.Browser);
        var (patient, _) = await AdmittedAsync(server, patientContext, nurseContext);

        Assert.Equal("speaker", await patient.GetAttributeAsync("[data-testid=call]", "data-layout"));
        var remote = await BoxAsync(patient, "[data-testid=remote-video]");
        var self = await BoxAsync(patient, "[data-testid=self-tile]");
        Assert.True(remote.Height >= 0.6 * Phone.Height, $"the remote video takes {remote.Height} of {Phone.Height} px");
        Assert.True(self.Width * self.Height < 0.15 * remote.Width * remote.Height, $"the self view ({self}) is not small beside the remote one ({remote})");
        foreach (var control in new[] { "toggle-mute", "toggle-camera", "devices-button", "toggle-chat", "leave-call" })
        {
            await AssertInViewAsync(patient, $"[data-testid={control}]", Phone.Height, Phone.Width);
        }

        await AssertNoScrollingAsync(patient);
        // Device pickers are in a menu, not always open.
        Assert.Equal(0, await patient.Locator("[data-testid=call-camera]").CountAsync());
        await ScreenshotAsync(patient, "phone-portrait");

        await patient.SetViewportSizeAsync(PhoneLandscape.Width, PhoneLandscape.Height);
        await patient.WaitForTimeoutAsync(300);
        var landscape = await BoxAsync(patient, "[data-testid=remote-video]");
        Assert.True(landscape.Height >= 0.5 * PhoneLandscape.Height, $"in landscape the remote video takes {landscape.Height} of {PhoneLandscape.Height} px");
        await AssertInViewAsync(patient, "[data-testid=leave-call]", PhoneLandscape.Height, PhoneLandscape.Width);
        await AssertInViewAsync(patient, "[data-testid=toggle-mute]", PhoneLandscape.Height, PhoneLandscape.Width);
        await ScreenshotAsync(patient, "phone-landscape");
    }

    [Fact]
    public async Task ConsoleKeepsTheWaitingListBesideTheCallOnADesktopAndInADrawerOnATablet()
    {
        await using var server = await RunningServer.StartAsync();
        await using var patientContext = await NewContextAsync(chromium.Browser);
        await using var nurseContext = await NewContextAsync(chromium.Browser);
        var (_, nurse) = await AdmittedAsync(server, patientContext, nurseContext);

        var side = await BoxAsync(nurse, "[data-testid=console-side]");
        var call = await BoxAsync(nurse, "[data-testid=call]");
        Assert.True(side.Right <= call.Left + 1 && side.Width > 0, $"the waiting list ({side}) is not beside the call ({call})");
        Assert.True(await nurse.Locator("[data-testid=waiting-list]").IsVisibleAsync());
        await AssertInViewAsync(nurse, "[data-testid=leave-call]", Desktop.Height, Desktop.Width);
        await AssertNoScrollingAsync(nurse);
        // Chat is a panel beside the stage on a desktop, open from the start.
        Assert.True(await nurse.Locator("[data-testid=chat-panel]").IsVisibleAsync());
        await ScreenshotAsync(nurse, "console-desktop");

        await nurse.SetViewportSizeAsync(Tablet.Width, Tablet.Height);
        // On a tablet the waiting list waits in a closed drawer.
        await nurse.Locator("[data-testid=waiting-list]").WaitForAsync(new() { State = WaitForSelectorState.Hidden, Timeout = WaitMs });
        await nurse.ClickAsync("[data-testid=toggle-console-side]", new() { Timeout = WaitMs });
        await nurse.Locator("[data-testid=waiting-list]").WaitForAsync(new() { State = WaitForSelectorState.Visible, Timeout = WaitMs });
        Assert.Equal("true", await nurse.GetAttributeAsync("[data-testid=toggle-console-side]", "aria-expanded"));
        await ScreenshotAsync(nurse, "console-tablet-drawer");
        await nurse.ClickAsync("[data-testid=close-console-side]", new() { Timeout = WaitMs });
        await nurse.Locator("[data-testid=waiting-list]").WaitForAsync(new() { State = WaitForSelectorState.Hidden, Timeout = WaitMs });
    }

    [Fact]
    public async Task KeyboardShortcutsMuteAndStopTheCameraAndAreAnnounced()
    {
        await using var server = await RunningServer.StartAsync();
        await using var patientContext = await NewContextAsync(chromium.Browser);
        await using var nurseContext = await NewContextAsync(chromium.Browser);
        var (patient, _) = await AdmittedAsync(server, patientContext, nurseContext);

        Assert.Equal("M", await patient.GetAttributeAsync("[data-testid=toggle-mute]", "aria-keyshortcuts"));
        await patient.Locator("[data-testid=stage]").ClickAsync(new() { Timeout = WaitMs, Position = new() { X = 20, Y = 20 } });
        await patient.Keyboard.PressAsync("m");
        await patient.Locator("[data-testid=toggle-mute][aria-pressed=true]").WaitForAsync(new() { Timeout = WaitMs });
        Assert.Equal("Microphone muted", await patient.TextContentAsync("[data-testid=call-announcement]", new() { Timeout = WaitMs }));
        Assert.False(await patient.EvaluateAsync<bool>("() => document.querySelector('[data-testid=self-video]').srcObject.getAudioTracks()[0].enabled"));

        await patient.Keyboard.PressAsync("v");
        await patient.Locator("[data-testid=toggle-camera][aria-pressed=true]").WaitForAsync(new() { Timeout = WaitMs });
        Assert.Equal("Camera off", await patient.TextContentAsync("[data-testid=call-announcement]", new() { Timeout = WaitMs }));

        // Typing in the chat is not a shortcut.
        await patient.FillAsync("[data-testid=chat-input]", "", new() { Timeout = WaitMs });
        await patient.Locator("[data-testid=chat-input]").PressAsync("m", new() { Timeout = WaitMs });
        Assert.Equal("true", await patient.GetAttributeAsync("[data-testid=toggle-mute]", "aria-pressed"));
    }

    [Fact]
    public async Task ChatIsAPanelWithAnUnreadCountWhenClosed()
    {
        await using var server = await RunningServer.StartAsync();
        await using var patientContext = await NewContextAsync(chromium.Browser, Phone);
        await using var nurseContext = await NewContextAsync(chromium.Browser);
        var (patient, nurse) = await AdmittedAsync(server, patientContext, nurseContext);

        // On a phone the chat starts closed.
        Assert.Equal(0, await patient.Locator("[data-testid=chat-panel]").CountAsync());
        await SendChatAsync(nurse, "How are you feeling?");
        await SendChatAsync(nurse, "Can you hear me?");
        await patient.Locator("[data-testid=toggle-chat][data-badge='2']").WaitForAsync(new() { Timeout = WaitMs });
        Assert.Equal("Chat, 2 unread", await patient.GetAttributeAsync("[data-testid=toggle-chat]", "aria-label"));

        await patient.ClickAsync("[data-testid=toggle-chat]", new() { Timeout = WaitMs });
        await WaitForChatAsync(patient, "Can you hear me?");
        Assert.Null(await patient.GetAttributeAsync("[data-testid=toggle-chat]", "data-badge"));
        await ScreenshotAsync(patient, "phone-chat-open");
    }

    [Fact]
    public async Task ScreenShareIsSeenLargeByThePatientAndStoppingFromTheBrowserIsNoticed()
    {
        // Chromium picks the whole (fake) screen itself instead of showing its picker.
        var browser = await chromium.LaunchAsync(["--auto-select-desktop-capture-source=Entire screen", "--use-fake-ui-for-media-stream"]);
        try
        {
            await using var server = await RunningServer.StartAsync();
            await using var patientContext = await NewContextAsync(browser, Phone);
            await using var nurseContext = await NewContextAsync(browser);
            var (patient, nurse) = await AdmittedAsync(server, patientContext, nurseContext);

            // Patients do not share by default: no button for them.
            Assert.Equal(0, await patient.Locator("[data-testid=toggle-screen-share]").CountAsync());

            await nurse.ClickAsync("[data-testid=toggle-screen-share]", new() { Timeout = WaitMs });
            await nurse.Locator("[data-testid=toggle-screen-share][aria-pressed=true]").WaitForAsync(new() { Timeout = WaitMs });
            await nurse.Locator("[data-testid=sharing-screen]").WaitForAsync(new() { Timeout = WaitMs });

            await patient.Locator("[data-testid=call][data-layout=screen]").WaitForAsync(new() { Timeout = WaitMs });
            await patient.WaitForFunctionAsync(
                """
                async () => {
                  const v = document.querySelector('[data-testid=screen-share-video]');
                  if (!v || v.videoWidth === 0) return false;
                  const t = v.currentTime;
                  await new Promise(r => setTimeout(r, 300));
                  return v.currentTime > t;
                }
                """,
                null,
                new() { Timeout = 30_000, PollingInterval = 250 });
            var screen = await BoxAsync(patient, "[data-testid=screen-share-video]");
            var camera = await BoxAsync(patient, "[data-testid=remote-video]");
            Assert.True(screen.Width * screen.Height > 2 * camera.Width * camera.Height, $"the shared screen ({screen}) is not larger than the sharer's camera ({camera})");
            await WaitForRemoteVideosPlayingAsync(patient, 1); // the nurse's camera still plays, small
            await ScreenshotAsync(patient, "phone-screen-share");
            await ScreenshotAsync(nurse, "desktop-sharing");

            // The browser's own "Stop sharing" ends the capture track (simulated: stop + ended).
            await nurse.EvaluateAsync("() => { const t = window.__videovisitCall.screen().getVideoTracks()[0]; t.stop(); t.dispatchEvent(new Event('ended')); }");
            await nurse.Locator("[data-testid=toggle-screen-share][aria-pressed=false]").WaitForAsync(new() { Timeout = WaitMs });
            Assert.Equal(0, await nurse.Locator("[data-testid=sharing-screen]").CountAsync());
            await patient.Locator("[data-testid=screen-share]").WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = WaitMs });
            Assert.Equal("speaker", await patient.GetAttributeAsync("[data-testid=call]", "data-layout"));
            await WaitForRemoteVideosPlayingAsync(patient, 1);
        }
        finally
        {
            await browser.CloseAsync();
        }
    }

    [Fact]
    public async Task ThrottledNetworkFallsBackToAudioWithAMessageAndVideoComesBack()
    {
        await using var server = await RunningServer.StartAsync();
        await using var patientContext = await NewContextAsync(chromium.Browser);
        await using var doctorContext = await NewContextAsync(chromium.Browser);
        var (patient, doctor) = await AdmittedAsync(server, patientContext, doctorContext, "patient-2", "doctor-2", "appt-2");

        // CDP network emulation throttles the page's WebRTC traffic too (Chromium 156).
        var cdp = await patientContext.NewCDPSessionAsync(patient);
        await cdp.SendAsync("Network.enable");
        await cdp.SendAsync("Network.emulateNetworkConditions", new Dictionary<string, object>
        {
            ["offline"] = false,
            ["latency"] = 300,
            ["downloadThroughput"] = 12_500, // 100 kbit/s
            ["uploadThroughput"] = 12_500,
            ["packetLoss"] = 10,
        });

        var fallback = patient.Locator("[data-testid=audio-only]");
        var throttledAt = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            await fallback.WaitForAsync(new() { Timeout = 60_000 });
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"no fallback to audio: patient {await DiagnosticsAsync(patient)}, doctor {await DiagnosticsAsync(doctor)}", e);
        }

        Console.WriteLine($"audio fallback {throttledAt.ElapsedMilliseconds} ms after the network was throttled");
        Assert.Contains("audio", await fallback.TextContentAsync(new() { Timeout = WaitMs }), StringComparison.Ordinal);
        var poor = Assert.Single(await PeersAsync(patient));
        Assert.False(poor.GetProperty("sendingVideo").GetBoolean(), poor.ToString());
        Assert.True(poor.GetProperty("quality").GetString() == "poor", poor.ToString());
        Assert.Equal("poor", await patient.GetAttributeAsync("[data-testid=remote-tile]", "data-quality"));
        Assert.NotEqual("", await patient.GetAttributeAsync("[data-testid=remote-tile]", "data-quality-reason"));
        await ScreenshotAsync(patient, "audio-fallback");

        await cdp.SendAsync("Network.emulateNetworkConditions", new Dictionary<string, object>
        {
            ["offline"] = false,
            ["latency"] = 0,
            ["downloadThroughput"] = -1,
            ["uploadThroughput"] = -1,
            ["packetLoss"] = 0,
        });
        var restoredAt = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            await fallback.WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = 60_000 });
            Console.WriteLine($"video back {restoredAt.ElapsedMilliseconds} ms after the network was restored");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"video did not come back: patient {await DiagnosticsAsync(patient)}, doctor {await DiagnosticsAsync(doctor)}", e);
        }

        var back = Assert.Single(await PeersAsync(patient));
        Assert.True(back.GetProperty("sendingVideo").GetBoolean());
        await Task.WhenAll(WaitForRemoteVideosPlayingAsync(doctor, 1), WaitForRemoteVideosPlayingAsync(patient, 1));
    }

    [Fact]
    public async Task ConnectionTestFiguresAreShownAndReachTheProfessionalAfterThePatientBegan()
    {
        await using var server = await RunningServer.StartAsync();
        await using var patientContext = await NewContextAsync(chromium.Browser, Phone);
        await using var nurseContext = await NewContextAsync(chromium.Browser);

        var patient = await OpenAsAsync(patientContext, server, "patient-1", "/visit/appt-1");
        var report = await PrecheckReportAsync(patient);
        // Begin video visit does not wait for the connection test.
        Assert.Equal("allowed", await patient.GetAttributeAsync("[data-testid=begin-section]", "data-begin-state"));
        Assert.Equal("measuring", report.GetProperty("path").GetProperty("state").GetString());
        var timings = report.GetProperty("timings");
        Console.WriteLine($"precheck settled {report.GetProperty("durationMs").GetInt32()} ms after it started, {timings.GetProperty("sincePageOpenMs").GetInt32()} ms after the page opened");
        // The Begin box sits right under the verdict, not over it.
        var verdict = await BoxAsync(patient, "[data-testid=precheck-summary]");
        var begin = await BoxAsync(patient, "[data-testid=begin-section]");
        Assert.True(begin.Top >= verdict.Bottom, $"Begin ({begin}) covers the verdict ({verdict})");
        await ScreenshotAsync(patient, "phone-precheck-measuring");

        // Begin at once; the test's verdict follows in the background.
        await patient.ClickAsync("[data-testid=begin-video-visit]", new() { Timeout = WaitMs });
        await patient.Locator("[data-testid=waiting-room]").WaitForAsync(new() { Timeout = WaitMs });

        var nurse = await OpenConsoleVisitAsync(nurseContext, server, "nurse-1", "appt-1");
        var network = nurse.Locator("[data-testid=participant-row] [data-testid=network-summary][data-network-verdict=good]");
        await network.WaitForAsync(new() { Timeout = 30_000 });
        Assert.Equal("udp", await network.GetAttributeAsync("data-network-transport", new() { Timeout = WaitMs }));
        var rtt = int.Parse(await network.GetAttributeAsync("data-network-rtt", new() { Timeout = WaitMs }) ?? "-1", System.Globalization.CultureInfo.InvariantCulture);
        var kbps = int.Parse(await network.GetAttributeAsync("data-network-kbps", new() { Timeout = WaitMs }) ?? "-1", System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(rtt, 0, 200);
        Assert.True(kbps > 300, $"the test carried {kbps} kbit/s through the relay on loopback");
        Assert.Contains("Connection test: good", await network.TextContentAsync(new() { Timeout = WaitMs }), StringComparison.Ordinal);
        Assert.Equal("ready", await nurse.GetAttributeAsync("[data-testid=participant-row]", "data-precheck-state"));
        await ScreenshotAsync(nurse, "console-network-verdict");
        Console.WriteLine("console shows: " + await network.TextContentAsync(new() { Timeout = WaitMs }));
    }

    [Fact]
    public async Task ConnectionTestShowsItsFiguresOnTheDeviceCheck()
    {
        await using var server = await RunningServer.StartAsync();
        await using var context = await NewContextAsync(chromium.Browser);
        var page = await OpenAsAsync(context, server, "patient-2", "/visit/appt-2");
        var test = page.Locator("[data-testid=path-test][data-path-state=done]");
        await test.WaitForAsync(new() { Timeout = 30_000 });
        Assert.Equal("good", await test.GetAttributeAsync("data-path-verdict", new() { Timeout = WaitMs }));
        var results = (await test.GetAttributeAsync("data-path-results", new() { Timeout = WaitMs }) ?? "").Split(' ');
        // UDP works on loopback, so the test stops there (TCP, then TLS, only when UDP fails).
        Assert.Equal(["udp:connected"], results);
        var figures = await page.TextContentAsync("[data-testid=path-figures]", new() { Timeout = WaitMs }) ?? "";
        Assert.Matches(@"Through UDP: round trip \d+ ms, jitter [\d.]+ ms, loss [\d.]+ %, \d+ kbit/s", figures);
        var report = await PrecheckReportAsync(page);
        var best = report.GetProperty("path").GetProperty("best");
        Assert.Equal("udp", best.GetProperty("transport").GetString());
        Assert.True(best.GetProperty("kbps").GetInt32() > 0);
        Console.WriteLine("connection test: " + figures);
    }

    [Fact]
    public async Task BothSidesRenegotiatingAtOnceSettleByPerfectNegotiation()
    {
        await using var server = await RunningServer.StartAsync();
        await using var patientContext = await NewContextAsync(chromium.Browser);
        await using var nurseContext = await NewContextAsync(chromium.Browser);
        var (patient, nurse) = await AdmittedAsync(server, patientContext, nurseContext);
        await Glare.ForceAsync(patient, nurse);
    }
}

/// <summary>Glare made certain: both sides hold incoming signals, both renegotiate, then both release.</summary>
internal static class Glare
{
    public static async Task ForceAsync(IPage a, IPage b)
    {
        var console = new System.Collections.Concurrent.ConcurrentQueue<string>();
        a.Console += (_, m) => console.Enqueue("first: " + m.Text);
        b.Console += (_, m) => console.Enqueue("second: " + m.Text);
        // Start from rest: a negotiation still in flight (a late renegotiation after connecting) would
        // defer the restart's offer behind signals the test is about to hold.
        foreach (var page in new[] { a, b })
        {
            await page.WaitForFunctionAsync("() => window.__videovisitCall.stable()", null, new() { Timeout = WebAppDriver.WaitMs });
        }

        var before = await Task.WhenAll(CountersAsync(a), CountersAsync(b));
        await Task.WhenAll(a.EvaluateAsync("() => window.__videovisitCall.holdSignals(true)"), b.EvaluateAsync("() => window.__videovisitCall.holdSignals(true)"));
        await Task.WhenAll(a.EvaluateAsync("() => window.__videovisitCall.renegotiate()"), b.EvaluateAsync("() => window.__videovisitCall.renegotiate()"));
        // Each side's offer is out (and held at the other side) before either sees the other's.
        foreach (var page in new[] { a, b })
        {
            try
            {
                await page.WaitForFunctionAsync($"() => window.__videovisitCall.negotiation().offersSent > {before[page == a ? 0 : 1].GetProperty("offersSent").GetInt32()}", null, new() { Timeout = WebAppDriver.WaitMs });
            }
            catch (TimeoutException)
            {
                var states = await Task.WhenAll(StateAsync(a), StateAsync(b));
                throw new TimeoutException($"no offer after the restart on {(page == a ? "the first" : "the second")} page; negotiation: {string.Join(" | ", states)}; console: {string.Join(" // ", console)}");
            }
        }

        await Task.WhenAll(a.EvaluateAsync("() => window.__videovisitCall.holdSignals(false)"), b.EvaluateAsync("() => window.__videovisitCall.holdSignals(false)"));
        await Task.WhenAll(WebAppDriver.WaitForRemoteVideosPlayingAsync(a, 1), WebAppDriver.WaitForRemoteVideosPlayingAsync(b, 1));
        foreach (var page in new[] { a, b })
        {
            try
            {
                await page.WaitForFunctionAsync("() => window.__videovisitCall.peers().every(p => p.connectionState === 'connected')", null, new() { Timeout = WebAppDriver.WaitMs });
            }
            catch (TimeoutException)
            {
                var states = await Task.WhenAll(StateAsync(a), StateAsync(b));
                throw new TimeoutException($"not connected again on {(page == a ? "the first" : "the second")} page; negotiation: {string.Join(" | ", states)}; console: {string.Join(" // ", console)}");
            }
        }

        if (Environment.GetEnvironmentVariable("GLARE_TRACE") == "1") Console.WriteLine("GLARE-PASS " + string.Join(" | ", await Task.WhenAll(StateAsync(a), StateAsync(b))));
        var after = await Task.WhenAll(CountersAsync(a), CountersAsync(b));
        var ignored = after.Sum(c => c.GetProperty("ignoredOffers").GetInt32()) - before.Sum(c => c.GetProperty("ignoredOffers").GetInt32());
        var rolledBack = after.Sum(c => c.GetProperty("rollbacks").GetInt32()) - before.Sum(c => c.GetProperty("rollbacks").GetInt32());
        // The impolite side ignored the polite side's offer; the polite side rolled its own back.
        Assert.True(ignored >= 1 && rolledBack >= 1, $"no glare was resolved: before {string.Join(", ", before.Select(c => c.GetRawText()))}, after {string.Join(", ", after.Select(c => c.GetRawText()))}");
    }

    private static async Task<string> StateAsync(IPage page) =>
        (await page.EvaluateAsync<JsonElement>("() => ({ counters: window.__videovisitCall.negotiation(), state: window.__videovisitCall.negotiationState(), peers: window.__videovisitCall.peers().map(p => ({ id: p.participantId, connectionState: p.connectionState, path: p.path })) })")).GetRawText();

    private static async Task<JsonElement> CountersAsync(IPage page) =>
        await page.EvaluateAsync<JsonElement>("() => window.__videovisitCall.negotiation()");
}
