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

        var patient = await OpenAsAsync(patientContext, server, "patient-1", "/visit/appt-1");
        await BeginVideoVisitAsync(patient);
        var nurse = await OpenConsoleVisitAsync(nurseContext, server, "nurse-1", "appt-1");
        await nurse.ClickAsync("[data-testid=admit-button]", new() { Timeout = WaitMs });
        await Task.WhenAll(WaitForRemoteVideosPlayingAsync(patient, 1), WaitForRemoteVideosPlayingAsync(nurse, 1));

        await Glare.ForceAsync(patient, nurse);
    }
}
