using System.Text.Json;
using Microsoft.Playwright;
using VideoVisit.Testing;

namespace VideoVisit.EndToEnd.Tests.WebApp;

/// <summary>
/// Drives the web app the way a person does, through the stable <c>data-testid</c> and
/// <c>data-*</c> attributes the app exposes for tests (see README, "Web app").
/// </summary>
internal static class WebAppDriver
{
    public const float WaitMs = 20_000;

    public static readonly ViewportSize Desktop = new() { Width = 1280, Height = 800 };
    public static readonly ViewportSize Phone = new() { Width = 360, Height = 640 };

    /// <summary>
    /// A fresh context with the fake camera and microphone granted. <paramref name="bypassCsp"/> only for
    /// a test that injects its own tool (axe) into the page; the app's own keeping to the policy is
    /// tested in <c>ContentSecurityPolicyTests</c>.
    /// </summary>
    public static async Task<IBrowserContext> NewContextAsync(IBrowser browser, ViewportSize? viewport = null, bool bypassCsp = false)
    {
        var context = await browser.NewContextAsync(new()
        {
            Permissions = ["camera", "microphone"],
            ViewportSize = viewport ?? Desktop,
            Locale = "en-GB",
            BypassCSP = bypassCsp,
        });
        context.SetDefaultTimeout(WaitMs);
        return context;
    }

    /// <summary>Opens <paramref name="path"/> signed in as a demo person (the dev issuer's <c>?as=</c>).</summary>
    public static Task<IPage> OpenAsAsync(IBrowserContext context, RunningServer server, string personId, string path, string query = "") =>
        OpenAsAsync(context, server.BaseAddress, personId, path, query);

    /// <summary>Opens <paramref name="path"/> signed in as <paramref name="personId"/> at any address that serves the app (a load balancer).</summary>
    public static async Task<IPage> OpenAsAsync(IBrowserContext context, Uri baseAddress, string personId, string path, string query = "")
    {
        var page = await context.NewPageAsync();
        var separator = path.Contains('?', StringComparison.Ordinal) ? "&" : "?";
        await page.GotoAsync(new Uri(baseAddress, path) + separator + "as=" + personId + query, new() { Timeout = WaitMs });
        await page.Locator("[data-testid=signed-in-as]").WaitForAsync(new() { Timeout = WaitMs });
        return page;
    }

    /// <summary>Waits until the precheck has finished and returns its JSON report.</summary>
    public static async Task<JsonElement> PrecheckReportAsync(IPage page)
    {
        await page.Locator("[data-testid=precheck]:not([data-precheck-state=checking])").WaitForAsync(new() { Timeout = WaitMs });
        var json = await page.GetAttributeAsync("[data-testid=precheck]", "data-precheck-report", new() { Timeout = WaitMs });
        return JsonDocument.Parse(json!).RootElement.Clone();
    }

    /// <summary>Precheck, then Begin video visit, then the waiting room.</summary>
    public static async Task BeginVideoVisitAsync(IPage page)
    {
        await PrecheckReportAsync(page);
        await page.ClickAsync("[data-testid=begin-video-visit]", new() { Timeout = WaitMs });
        await page.Locator("[data-testid=waiting-room]").WaitForAsync(new() { Timeout = WaitMs });
    }

    /// <summary>The professional opens the visit from the console (admitted at once).</summary>
    public static Task<IPage> OpenConsoleVisitAsync(IBrowserContext context, RunningServer server, string personId, string appointmentId, string query = "") =>
        OpenConsoleVisitAsync(context, server.BaseAddress, personId, appointmentId, query);

    public static async Task<IPage> OpenConsoleVisitAsync(IBrowserContext context, Uri baseAddress, string personId, string appointmentId, string query = "")
    {
        var page = await OpenAsAsync(context, baseAddress, personId, "/console/" + appointmentId, query);
        await page.Locator("[data-testid=console-visit][data-visit-phase=admitted]").WaitForAsync(new() { Timeout = WaitMs });
        return page;
    }

    /// <summary>
    /// Every remote video on the page is playing: it has frames (<c>videoWidth &gt; 0</c>) and its
    /// <c>currentTime</c> advances.
    /// </summary>
    public static async Task WaitForRemoteVideosPlayingAsync(IPage page, int count)
    {
        try
        {
            await WaitForPlayingAsync(page, count);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"Remote videos not playing on {page.Url}: {await DiagnosticsAsync(page)}", e);
        }
    }

    /// <summary>The patient opens the visit and begins, the professional admits them from the console, and both see the other's video.</summary>
    public static async Task<(IPage Patient, IPage Professional)> AdmittedAsync(
        RunningServer server, IBrowserContext patientContext, IBrowserContext professionalContext,
        string patientId = "patient-1", string professionalId = "nurse-1", string appointmentId = "appt-1")
    {
        var patient = await OpenAsAsync(patientContext, server, patientId, "/visit/" + appointmentId);
        await BeginVideoVisitAsync(patient);
        var professional = await OpenConsoleVisitAsync(professionalContext, server, professionalId, appointmentId);
        await professional.ClickAsync("[data-testid=admit-button]", new() { Timeout = WaitMs });
        await Task.WhenAll(WaitForRemoteVideosPlayingAsync(patient, 1), WaitForRemoteVideosPlayingAsync(professional, 1));
        return (patient, professional);
    }

    /// <summary>What the page's call looks like: phase, timeline marks, peers and video sizes.</summary>
    public static async Task<string> DiagnosticsAsync(IPage page)
    {
        try
        {
            return await page.EvaluateAsync<string>(
                """
                () => JSON.stringify({
                  phase: document.querySelector('[data-visit-phase]')?.getAttribute('data-visit-phase'),
                  marks: window.__videovisitCall?.marks,
                  peers: window.__videovisitCall?.peers(),
                  videos: [...document.querySelectorAll('[data-testid=remote-video]')].map(v => [v.videoWidth, v.currentTime, v.paused, v.readyState]),
                  banners: [...document.querySelectorAll('.banners [data-testid]')].map(b => b.getAttribute('data-testid')),
                })
                """);
        }
        catch (PlaywrightException e)
        {
            return "(no diagnostics: " + e.Message + ")";
        }
    }

    private static Task<IJSHandle> WaitForPlayingAsync(IPage page, int count) =>
        page.WaitForFunctionAsync(
            """
            async (count) => {
              const videos = [...document.querySelectorAll('[data-testid=remote-video]')];
              if (videos.length !== count || !videos.every(v => v.videoWidth > 0)) return false;
              const before = videos.map(v => v.currentTime);
              await new Promise(r => setTimeout(r, 300));
              return videos.every((v, i) => v.currentTime > before[i]);
            }
            """,
            count,
            new() { Timeout = 30_000, PollingInterval = 250 });

    public static async Task SendChatAsync(IPage page, string text)
    {
        await OpenCallChatAsync(page);
        await page.FillAsync("[data-testid=chat-input]", text, new() { Timeout = WaitMs });
        await page.ClickAsync("[data-testid=chat-send]", new() { Timeout = WaitMs });
    }

    /// <summary>In a call the chat is a panel (closed at first on a narrow screen): open it if needed.</summary>
    public static async Task OpenCallChatAsync(IPage page)
    {
        var toggle = page.Locator("[data-testid=toggle-chat][aria-expanded=false]");
        if (await page.Locator("[data-testid=chat-input]").CountAsync() == 0 && await toggle.CountAsync() > 0)
        {
            await toggle.ClickAsync(new() { Timeout = WaitMs });
        }
    }

    public static Task WaitForChatAsync(IPage page, string text) =>
        page.Locator("[data-testid=chat-message]", new() { HasTextString = text }).WaitForAsync(new() { Timeout = WaitMs });

    /// <summary>The selected candidate pairs of the page's peer connections (from the app's call debug hook).</summary>
    public static async Task<IReadOnlyList<JsonElement>> PeersAsync(IPage page)
    {
        var peers = await page.EvaluateAsync<JsonElement>("() => window.__videovisitCall.peers()");
        return [.. peers.EnumerateArray().Select(p => p.Clone())];
    }

    public static async Task<string> ParticipantIdAsync(IPage page) =>
        await page.GetAttributeAsync("[data-testid=visit-page]", "data-participant-id", new() { Timeout = WaitMs }) ?? "";
}
