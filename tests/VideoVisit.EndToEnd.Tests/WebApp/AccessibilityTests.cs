using System.Text.Json;
using Microsoft.Playwright;
using VideoVisit.EndToEnd.Tests.Browsers;
using VideoVisit.Testing;
using static VideoVisit.EndToEnd.Tests.WebApp.WebAppDriver;

namespace VideoVisit.EndToEnd.Tests.WebApp;

/// <summary>
/// Every screen scanned with axe-core (the web app's own devDependency, injected into the page)
/// for WCAG 2.1 A/AA rules, at desktop and phone size; each is screenshotted at both sizes under
/// <c>test-results/screens/</c> with its axe result beside it.
/// </summary>
[Trait("Category", "WebApp")]
[Trait("Engine", "Chromium")]
public sealed class AccessibilityTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private static readonly string AxePath = Path.Combine(RunningServer.RepositoryRoot, "src", "VideoVisit.Web", "node_modules", "axe-core", "axe.min.js");

    private readonly List<string> _failures = [];

    [Fact]
    public async Task EveryScreenHasNoSeriousOrCriticalViolationsAtPhoneAndDesktopSize()
    {
        Assert.True(File.Exists(AxePath), "axe-core is missing: run npm ci in src/VideoVisit.Web");
        await using var server = await RunningServer.StartAsync();
        await using var patientContext = await NewContextAsync(chromium.Browser, bypassCsp: true);
        await using var nurseContext = await NewContextAsync(chromium.Browser, bypassCsp: true);
        await using var idleContext = await NewContextAsync(chromium.Browser, bypassCsp: true);

        var signIn = await idleContext.NewPageAsync();
        await signIn.GotoAsync(server.BaseAddress.ToString(), new() { Timeout = WaitMs });
        await signIn.Locator("[data-testid=person-patient-1]").WaitForAsync(new() { Timeout = WaitMs });
        await ScanAsync(signIn, "01-sign-in");

        var patient = await OpenAsAsync(patientContext, server, "patient-1", "/upcoming");
        await patient.Locator("[data-testid=appointment-appt-1]").WaitForAsync(new() { Timeout = WaitMs });
        await ScanAsync(patient, "02-upcoming");

        await patient.ClickAsync("[data-testid=appointment-appt-1] [data-testid=begin-visit]", new() { Timeout = WaitMs });
        await PrecheckReportAsync(patient);
        await ScanAsync(patient, "03-precheck");

        await BeginVideoVisitAsync(patient);
        await ScanAsync(patient, "04-waiting-room");

        var nurseList = await OpenAsAsync(nurseContext, server, "nurse-1", "/console");
        await nurseList.Locator("[data-testid=console-appointment-appt-1]").WaitForAsync(new() { Timeout = WaitMs });
        await ScanAsync(nurseList, "05-console-today");

        await nurseList.ClickAsync("[data-testid=console-appointment-appt-1] [data-testid=open-visit]", new() { Timeout = WaitMs });
        await nurseList.Locator("[data-testid=participant-row][data-state=waiting]").WaitForAsync(new() { Timeout = WaitMs });
        await ScanAsync(nurseList, "06-console-visit-waiting");

        await nurseList.ClickAsync("[data-testid=admit-button]", new() { Timeout = WaitMs });
        await Task.WhenAll(WaitForRemoteVideosPlayingAsync(patient, 1), WaitForRemoteVideosPlayingAsync(nurseList, 1));
        await SendChatAsync(patient, "Hello");
        await WaitForChatAsync(nurseList, "Hello");
        await ScanAsync(patient, "07-call-patient");
        await ScanAsync(nurseList, "08-call-console");

        // Guest invitations: the console's invitation (link and QR code) and the guest's join page.
        await nurseList.ClickAsync("[data-testid=invite-create]", new() { Timeout = WaitMs });
        var link = await nurseList.Locator("[data-testid=invite-link]").InputValueAsync(new() { Timeout = WaitMs });
        await nurseList.Locator("[data-testid=invitation-row]").WaitForAsync(new() { Timeout = WaitMs });
        await ScanAsync(nurseList, "08a-console-invitation");
        var join = await idleContext.NewPageAsync();
        await join.GotoAsync(link, new() { Timeout = WaitMs });
        await join.Locator("[data-testid=guest-name]").WaitForAsync(new() { Timeout = WaitMs });
        await ScanAsync(join, "08b-guest-join");

        await nurseList.ClickAsync("[data-testid=end-visit]", new() { Timeout = WaitMs });
        await patient.Locator("[data-testid=visit-over]").WaitForAsync(new() { Timeout = WaitMs });
        await ScanAsync(patient, "09-visit-ended");

        var idle = await OpenAsAsync(idleContext, server, "patient-2", "/precheck", "&sessionTimeout=30&sessionWarning=10");
        await PrecheckReportAsync(idle);
        await ScanAsync(idle, "10-device-check-page");
        await idle.Locator("[data-testid=session-warning]").WaitForAsync(new() { Timeout = 30_000 });
        await ScanAsync(idle, "11-session-warning", fullPage: false);

        Assert.True(_failures.Count == 0, "axe found serious or critical violations:\n" + string.Join("\n", _failures));
    }

    private async Task ScanAsync(IPage page, string name, bool fullPage = true)
    {
        var folder = Artifacts.Directory("screens");
        foreach (var (size, viewport) in new[] { ("desktop", Desktop), ("phone", Phone) })
        {
            await page.SetViewportSizeAsync(viewport.Width, viewport.Height);
            await page.WaitForTimeoutAsync(150);
            await page.ScreenshotAsync(new() { Path = Path.Combine(folder, $"{name}-{size}.png"), FullPage = fullPage, Timeout = WaitMs });
            if (await page.EvaluateAsync<bool>("() => typeof window.axe === 'undefined'"))
            {
                await page.AddScriptTagAsync(new() { Path = AxePath });
            }

            var violations = await page.EvaluateAsync<JsonElement>(
                """
                async () => {
                  const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
                  return result.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(' ')).slice(0, 5) }));
                }
                """);
            await File.WriteAllTextAsync(Path.Combine(folder, $"{name}-{size}.axe.json"), violations.GetRawText());
            foreach (var v in violations.EnumerateArray())
            {
                var impact = v.GetProperty("impact").GetString();
                if (impact is "serious" or "critical")
                {
                    _failures.Add($"{name} ({size}): {v.GetProperty("id").GetString()} [{impact}] {v.GetProperty("help").GetString()} at {string.Join(", ", v.GetProperty("targets").EnumerateArray().Select(t => t.GetString()))}");
                }
            }
        }

        await page.SetViewportSizeAsync(Desktop.Width, Desktop.Height);
    }
}
