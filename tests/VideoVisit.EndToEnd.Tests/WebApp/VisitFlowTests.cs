using Microsoft.Playwright;
using VideoVisit.EndToEnd.Tests.Browsers;
using VideoVisit.Testing;
using static VideoVisit.EndToEnd.Tests.WebApp.WebAppDriver;

namespace VideoVisit.EndToEnd.Tests.WebApp;

/// <summary>
/// The web app end to end in Chromium with fake devices, against the real server: precheck,
/// waiting room, admission, video both ways, chat, group mesh, representatives and timeouts.
/// </summary>
[Trait("Category", "WebApp")]
[Trait("Engine", "Chromium")]
public sealed class VisitFlowTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    [Fact]
    public async Task PatientAndNurseSeeEachOthersVideoAndChatBothWays()
    {
        await using var server = await RunningServer.StartAsync();
        await using var patientContext = await NewContextAsync(chromium.Browser);
        await using var nurseContext = await NewContextAsync(chromium.Browser);

        var patient = await OpenAsAsync(patientContext, server, "patient-1", "/visit/appt-1");
        var report = await PrecheckReportAsync(patient);
        Assert.Equal("ready", report.GetProperty("state").GetString());
        Assert.Equal("ok", report.GetProperty("camera").GetProperty("status").GetString());
        Assert.Equal("ok", report.GetProperty("microphone").GetProperty("status").GetString());
        await BeginVideoVisitAsync(patient);
        Assert.Equal("1", await patient.GetAttributeAsync("[data-testid=waiting-room]", "data-place-in-line"));

        var nurse = await OpenConsoleVisitAsync(nurseContext, server, "nurse-1", "appt-1");
        var row = nurse.Locator("[data-testid=participant-row][data-state=waiting]");
        await row.WaitForAsync(new() { Timeout = WaitMs });
        // The precheck result reached the professional.
        Assert.Equal("ready", await row.GetAttributeAsync("data-precheck-state", new() { Timeout = WaitMs }));

        await SendChatAsync(patient, "Hello from the waiting room");
        await WaitForChatAsync(nurse, "Hello from the waiting room");

        await row.Locator("[data-testid=admit-button]").ClickAsync(new() { Timeout = WaitMs });
        await patient.Locator("[data-testid=call]").WaitForAsync(new() { Timeout = WaitMs });
        await Task.WhenAll(WaitForRemoteVideosPlayingAsync(patient, 1), WaitForRemoteVideosPlayingAsync(nurse, 1));

        await SendChatAsync(nurse, "Good morning, I can see you");
        await WaitForChatAsync(patient, "Good morning, I can see you");
        await SendChatAsync(patient, "I can see you too");
        await WaitForChatAsync(nurse, "I can see you too");

        await patient.ClickAsync("[data-testid=leave-call]", new() { Timeout = WaitMs });
        await patient.Locator("[data-testid=visit-over][data-reason=left]").WaitForAsync(new() { Timeout = WaitMs });
        await nurse.Locator("[data-testid=remote-video]").WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = WaitMs });
    }

    [Fact]
    public async Task RelayOnlyVisitConnectsThroughOurRelay()
    {
        await using var server = await RunningServer.StartAsync();
        await using var patientContext = await NewContextAsync(chromium.Browser);
        await using var nurseContext = await NewContextAsync(chromium.Browser);

        var patient = await OpenAsAsync(patientContext, server, "patient-1", "/visit/appt-1", "&relay=only");
        var report = await PrecheckReportAsync(patient);
        Assert.Equal("udp", report.GetProperty("network").GetProperty("relay").GetString());
        Assert.True(report.GetProperty("relayOnlyCalls").GetBoolean());
        await BeginVideoVisitAsync(patient);
        var nurse = await OpenConsoleVisitAsync(nurseContext, server, "nurse-1", "appt-1", "&relay=only");
        await nurse.ClickAsync("[data-testid=admit-button]", new() { Timeout = WaitMs });

        await Task.WhenAll(WaitForRemoteVideosPlayingAsync(patient, 1), WaitForRemoteVideosPlayingAsync(nurse, 1));
        foreach (var page in new[] { patient, nurse })
        {
            await page.Locator("[data-testid=remote-tile][data-connection-path=relay]").WaitForAsync(new() { Timeout = WaitMs });
            var peers = await PeersAsync(page);
            var peer = Assert.Single(peers);
            Assert.Equal("relay", peer.GetProperty("localCandidateType").GetString());
            Assert.Equal("relay", peer.GetProperty("path").GetString());
            Assert.True(await page.Locator("[data-testid=via-relay]").IsVisibleAsync());
        }
    }

    [Fact]
    public async Task NurseAndThreePatientsInAGroupVisitAllSeeEachOther()
    {
        await using var server = await RunningServer.StartAsync();
        await using var nurseContext = await NewContextAsync(chromium.Browser);
        var nurse = await OpenConsoleVisitAsync(nurseContext, server, "nurse-1", "appt-group");

        var contexts = new List<IBrowserContext>();
        var patients = new List<IPage>();
        try
        {
            foreach (var id in new[] { "patient-1", "patient-2", "patient-3" })
            {
                var context = await NewContextAsync(chromium.Browser);
                contexts.Add(context);
                var page = await OpenAsAsync(context, server, id, "/visit/appt-group");
                await BeginVideoVisitAsync(page);
                patients.Add(page);
            }

            await nurse.WaitForFunctionAsync(
                "() => document.querySelectorAll('[data-testid=participant-row][data-state=waiting]').length === 3",
                null,
                new() { Timeout = WaitMs });
            await nurse.ClickAsync("[data-testid=admit-all]", new() { Timeout = WaitMs });

            await Task.WhenAll(new[] { nurse }.Concat(patients).Select(p => WaitForRemoteVideosPlayingAsync(p, 3)));
            Assert.Equal("4", await nurse.GetAttributeAsync("[data-testid=tiles]", "data-tile-count"));
        }
        finally
        {
            foreach (var context in contexts)
            {
                await context.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task RepresentativeBeginsOnBehalfOfThePatientAndTheConsoleShowsIt()
    {
        await using var server = await RunningServer.StartAsync();
        await using var repContext = await NewContextAsync(chromium.Browser);
        await using var nurseContext = await NewContextAsync(chromium.Browser);

        var rep = await OpenAsAsync(repContext, server, "rep-appt", "/upcoming");
        var item = rep.Locator("[data-testid=appointment-appt-1]");
        await item.WaitForAsync(new() { Timeout = WaitMs });
        Assert.Equal("patient-1", await item.GetAttributeAsync("data-on-behalf-of", new() { Timeout = WaitMs }));
        Assert.Contains("On behalf of", await item.Locator("[data-testid=on-behalf-of]").TextContentAsync(new() { Timeout = WaitMs }), StringComparison.Ordinal);
        await item.Locator("[data-testid=begin-visit]").ClickAsync(new() { Timeout = WaitMs });
        await BeginVideoVisitAsync(rep);

        var nurse = await OpenConsoleVisitAsync(nurseContext, server, "nurse-1", "appt-1");
        var row = nurse.Locator("[data-testid=participant-row][data-on-behalf-of=patient-1]");
        await row.WaitForAsync(new() { Timeout = WaitMs });
        Assert.Contains("on behalf of", await row.Locator("[data-testid=on-behalf-of]").TextContentAsync(new() { Timeout = WaitMs }), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadOnlyRepresentativeCannotBegin()
    {
        await using var server = await RunningServer.StartAsync();
        await using var context = await NewContextAsync(chromium.Browser);

        var page = await OpenAsAsync(context, server, "rep-read", "/upcoming");
        var item = page.Locator("[data-testid=appointment-appt-1]");
        await item.WaitForAsync(new() { Timeout = WaitMs });
        Assert.Equal("false", await item.GetAttributeAsync("data-can-begin", new() { Timeout = WaitMs }));
        Assert.True(await item.Locator("[data-testid=begin-visit]").IsDisabledAsync(new() { Timeout = WaitMs }));
        Assert.True(await item.Locator("[data-testid=read-only-notice]").IsVisibleAsync());

        // Even straight to the visit page, the server refuses the knock.
        await page.GotoAsync(new Uri(server.BaseAddress, "/visit/appt-1?onBehalfOf=patient-1").ToString(), new() { Timeout = WaitMs });
        await PrecheckReportAsync(page);
        await page.ClickAsync("[data-testid=begin-video-visit]", new() { Timeout = WaitMs });
        await page.Locator("[data-testid=begin-error]").WaitForAsync(new() { Timeout = WaitMs });
        Assert.Equal(0, await page.Locator("[data-testid=waiting-room]").CountAsync());
    }

    [Fact]
    public async Task IdleSessionWarnsThenSignsOut()
    {
        await using var server = await RunningServer.StartAsync();
        await using var context = await NewContextAsync(chromium.Browser);

        var page = await OpenAsAsync(context, server, "patient-2", "/upcoming", "&sessionTimeout=8&sessionWarning=4");
        var warning = page.Locator("[data-testid=session-warning]");
        await warning.WaitForAsync(new() { Timeout = 15_000 });

        // Continue keeps the session; the warning comes back after another idle period.
        await page.ClickAsync("[data-testid=session-continue]", new() { Timeout = WaitMs });
        await warning.WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = WaitMs });
        await warning.WaitForAsync(new() { Timeout = 15_000 });

        await page.Locator("[data-testid=signed-out][data-signed-out-reason=timeout]").WaitForAsync(new() { Timeout = 15_000 });
        Assert.Equal(0, await page.Locator("[data-testid=signed-in-as]").CountAsync());
    }

    [Fact]
    public async Task WaitingAndCallingAreNeverSignedOut()
    {
        await using var server = await RunningServer.StartAsync();
        await using var patientContext = await NewContextAsync(chromium.Browser);
        await using var nurseContext = await NewContextAsync(chromium.Browser);

        var patient = await OpenAsAsync(patientContext, server, "patient-1", "/visit/appt-1", "&sessionTimeout=12&sessionWarning=3");
        await BeginVideoVisitAsync(patient);
        await Task.Delay(TimeSpan.FromSeconds(14));
        Assert.True(await patient.Locator("[data-testid=waiting-room]").IsVisibleAsync());
        Assert.Equal(0, await patient.Locator("[data-testid=session-warning]").CountAsync());

        var nurse = await OpenConsoleVisitAsync(nurseContext, server, "nurse-1", "appt-1", "&sessionTimeout=12&sessionWarning=3");
        await nurse.ClickAsync("[data-testid=admit-button]", new() { Timeout = WaitMs });
        await Task.WhenAll(WaitForRemoteVideosPlayingAsync(patient, 1), WaitForRemoteVideosPlayingAsync(nurse, 1));
        await Task.Delay(TimeSpan.FromSeconds(14));
        foreach (var page in new[] { patient, nurse })
        {
            Assert.True(await page.Locator("[data-testid=call]").IsVisibleAsync());
            Assert.Equal(0, await page.Locator("[data-testid=session-warning]").CountAsync());
            Assert.Equal(1, await page.Locator("[data-testid=signed-in-as]").CountAsync());
        }
    }

    [Fact]
    public async Task NetworkComingBackRestartsIceAndTheCallKeepsPlaying()
    {
        await using var server = await RunningServer.StartAsync();
        await using var guardianContext = await NewContextAsync(chromium.Browser);
        await using var nurseContext = await NewContextAsync(chromium.Browser);

        var guardian = await OpenAsAsync(guardianContext, server, "guardian-1", "/visit/appt-child?onBehalfOf=child-1");
        await BeginVideoVisitAsync(guardian);
        var nurse = await OpenConsoleVisitAsync(nurseContext, server, "nurse-1", "appt-child");
        await nurse.ClickAsync("[data-testid=admit-button]", new() { Timeout = WaitMs });
        await Task.WhenAll(WaitForRemoteVideosPlayingAsync(guardian, 1), WaitForRemoteVideosPlayingAsync(nurse, 1));

        await guardianContext.SetOfflineAsync(true);
        await Task.Delay(TimeSpan.FromSeconds(1));
        await guardianContext.SetOfflineAsync(false);

        // The "online" event restarts ICE: the offering side restarts, the answering side asks it to.
        await guardian.WaitForFunctionAsync(
            "() => 'ice-restart' in window.__videovisitCall.marks || 'restart-requested' in window.__videovisitCall.marks",
            null,
            new() { Timeout = WaitMs });
        await Task.WhenAll(WaitForRemoteVideosPlayingAsync(guardian, 1), WaitForRemoteVideosPlayingAsync(nurse, 1));
        Assert.Equal("admitted", await guardian.GetAttributeAsync("[data-testid=visit-page]", "data-visit-phase"));
    }

    [Fact]
    public async Task StoppedCameraSaysSoAndAnotherDeviceResumesTheVideo()
    {
        await using var server = await RunningServer.StartAsync();
        await using var patientContext = await NewContextAsync(chromium.Browser);
        await using var nurseContext = await NewContextAsync(chromium.Browser);

        var (patient, doctor) = await AdmittedAsync(server, patientContext, nurseContext, "patient-2", "doctor-2", "appt-2");

        await patient.EvaluateAsync("() => document.querySelector('[data-testid=self-video]').srcObject.getVideoTracks()[0].stop()");
        var banner = patient.Locator("[data-testid=track-ended][data-kind=video]");
        await banner.WaitForAsync(new() { Timeout = WaitMs });
        Assert.Contains("Pick another device", await banner.TextContentAsync(new() { Timeout = WaitMs }), StringComparison.Ordinal);

        var camera = await patient.EvalOnSelectorAsync<string>("[data-testid=track-ended-device] option:not([value=''])", "o => o.value");
        await patient.SelectOptionAsync("[data-testid=track-ended-device]", camera, new() { Timeout = WaitMs });
        await banner.WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = WaitMs });
        // The new track went out through replaceTrack: the doctor's view of the patient still plays.
        await WaitForRemoteVideosPlayingAsync(doctor, 1);
    }

    [Fact]
    public async Task LanguageFollowsTheBrowserAndCanBeSwitched()
    {
        await using var server = await RunningServer.StartAsync();
        await using var context = await chromium.Browser.NewContextAsync(new() { Locale = "fi-FI" });
        var page = await context.NewPageAsync();

        await page.GotoAsync(server.BaseAddress.ToString(), new() { Timeout = WaitMs });
        await page.Locator("[data-testid=person-patient-1]").WaitForAsync(new() { Timeout = WaitMs });
        Assert.Equal("fi", await page.EvaluateAsync<string>("() => document.documentElement.lang"));
        Assert.Equal("Kirjaudu sisään", await page.TextContentAsync("h1", new() { Timeout = WaitMs }));

        await page.SelectOptionAsync("[data-testid=language]", "sv", new() { Timeout = WaitMs });
        Assert.Equal("Logga in", await page.TextContentAsync("h1", new() { Timeout = WaitMs }));
        Assert.Equal("sv", await page.EvaluateAsync<string>("() => document.documentElement.lang"));

        // The choice is remembered over a reload.
        await page.ReloadAsync(new() { Timeout = WaitMs });
        await page.Locator("[data-testid=person-patient-1]").WaitForAsync(new() { Timeout = WaitMs });
        Assert.Equal("Logga in", await page.TextContentAsync("h1", new() { Timeout = WaitMs }));
    }

    [Fact]
    public async Task ProfessionalReloadingMidCallGetsTheVideoBackWithoutThePatientKnockingAgain()
    {
        await using var server = await RunningServer.StartAsync();
        await using var patientContext = await NewContextAsync(chromium.Browser);
        await using var nurseContext = await NewContextAsync(chromium.Browser);

        var (patient, nurse) = await AdmittedAsync(server, patientContext, nurseContext);

        await nurse.CloseAsync();
        await patient.Locator("[data-testid=peer-reconnecting], [data-testid=reconnecting]").First.WaitForAsync(new() { Timeout = WaitMs });

        // Back within the grace period: the seat resumes (no admission needed) and both videos play again.
        var again = await OpenConsoleVisitAsync(nurseContext, server, "nurse-1", "appt-1");
        await Task.WhenAll(WaitForRemoteVideosPlayingAsync(patient, 1), WaitForRemoteVideosPlayingAsync(again, 1));
        Assert.Equal("admitted", await patient.GetAttributeAsync("[data-testid=visit-page]", "data-visit-phase"));
    }
}
