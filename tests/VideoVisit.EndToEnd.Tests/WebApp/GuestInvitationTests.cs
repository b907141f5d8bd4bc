using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using VideoVisit.Server.Data;
using VideoVisit.EndToEnd.Tests.Browsers;
using VideoVisit.Testing;
using static VideoVisit.EndToEnd.Tests.WebApp.WebAppDriver;

namespace VideoVisit.EndToEnd.Tests.WebApp;

/// <summary>
/// Guest invitations in two real browsers: the nurse invites from the console in Chromium, the guest
/// opens the link in Firefox with no account, types a name, runs the device check, waits, is admitted
/// and both see each other's video; a revoked link is refused on the join page.
/// </summary>
[Trait("Category", "WebApp")]
[Trait("Engine", "Firefox")]
public sealed class GuestInvitationTests(ChromiumFixture chromium, FirefoxFixture firefox)
    : IClassFixture<ChromiumFixture>, IClassFixture<FirefoxFixture>
{
    private async Task<IBrowserContext> NewFirefoxContextAsync()
    {
        var context = await firefox.Browser.NewContextAsync(new() { ViewportSize = Desktop, Locale = "en-GB" });
        context.SetDefaultTimeout(WaitMs);
        return context;
    }

    /// <summary>The nurse creates an invitation in the console; returns the link it shows.</summary>
    private static async Task<string> InviteAsync(IPage nurse, string role, string name)
    {
        await nurse.SelectOptionAsync("[data-testid=invite-role]", role, new() { Timeout = WaitMs });
        await nurse.FillAsync("[data-testid=invite-name]", name, new() { Timeout = WaitMs });
        await nurse.ClickAsync("[data-testid=invite-create]", new() { Timeout = WaitMs });
        var link = nurse.Locator("[data-testid=invite-link]");
        await link.WaitForAsync(new() { Timeout = WaitMs });
        return await link.InputValueAsync(new() { Timeout = WaitMs });
    }

    /// <summary>The guest opens the link and types their name key by key (Firefox over BiDi needs real input events).</summary>
    private static async Task<IPage> OpenLinkAsync(IBrowserContext context, string link, string name)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync(link, new() { Timeout = WaitMs });
        await page.Locator("[data-testid=guest-name]").PressSequentiallyAsync(name, new() { Timeout = WaitMs });
        await page.ClickAsync("[data-testid=join-submit]", new() { Timeout = WaitMs });
        return page;
    }

    [Fact]
    public async Task NurseInvitesAnInterpreterInChromiumWhoJoinsFromFirefoxWaitsIsAdmittedAndBothHaveVideo()
    {
        await using var server = await RunningServer.StartAsync();
        await using var nurseContext = await NewContextAsync(chromium.Browser);
        await using var guestContext = await NewFirefoxContextAsync();

        var nurse = await OpenConsoleVisitAsync(nurseContext, server, "nurse-1", "appt-1");
        var link = await InviteAsync(nurse, "interpreter", "Arabic interpreter");
        Assert.StartsWith(new Uri(server.BaseAddress, "/join/").ToString(), link, StringComparison.Ordinal);
        // The QR code is a real image of the link, drawn in the page.
        await nurse.WaitForFunctionAsync("() => document.querySelector('[data-testid=invite-qr]')?.naturalWidth > 0", null, new() { Timeout = WaitMs });
        await nurse.Locator("[data-testid=invitation-row][data-state=active]").WaitForAsync(new() { Timeout = WaitMs });
        await nurse.Locator("[data-testid=invitations]").ScreenshotAsync(new() { Path = Path.Combine(Artifacts.Directory("guests"), "console-invitation.png") });

        var guest = await OpenLinkAsync(guestContext, link, "Layla Haddad");
        await guest.Locator("[data-testid=visit-page]").WaitForAsync(new() { Timeout = WaitMs });
        Assert.Equal("Guest: Layla Haddad", (await guest.Locator("[data-testid=signed-in-as]").TextContentAsync(new() { Timeout = WaitMs }))?.Trim());
        var report = await PrecheckReportAsync(guest);
        Assert.Equal("firefox", report.GetProperty("browser").GetProperty("name").GetString());
        await BeginVideoVisitAsync(guest);

        var row = nurse.Locator("[data-testid=participant-row][data-state=waiting]", new() { HasTextString = "Layla Haddad" });
        await row.WaitForAsync(new() { Timeout = WaitMs });
        Assert.Equal("Guest (interpreter)", (await row.Locator("[data-testid=guest-label]").TextContentAsync(new() { Timeout = WaitMs }))?.Trim());
        await row.Locator("[data-testid=admit-button]").ClickAsync(new() { Timeout = WaitMs });

        await Task.WhenAll(WaitForRemoteVideosPlayingAsync(guest, 1), WaitForRemoteVideosPlayingAsync(nurse, 1));
        await guest.ScreenshotAsync(new() { Path = Path.Combine(Artifacts.Directory("guests"), "guest-in-call-firefox.png") });

        // The guest's token opens this visit and nothing else, also from the page itself.
        var refused = await guest.EvaluateAsync<JsonElement>(
            """
            async () => {
              const token = JSON.parse(sessionStorage.getItem('videovisit.auth')).accessToken;
              const get = async (path) => (await fetch(path, { headers: { Authorization: 'Bearer ' + token } })).status;
              return { me: await get('/api/me'), upcoming: await get('/api/appointments/upcoming'), ice: await get('/api/ice-servers') };
            }
            """);
        Assert.Equal(403, refused.GetProperty("me").GetInt32());
        Assert.Equal(403, refused.GetProperty("upcoming").GetInt32());
        Assert.Equal(200, refused.GetProperty("ice").GetInt32());
    }

    [Fact]
    public async Task ARevokedLinkIsRefusedOnTheJoinPage()
    {
        await using var server = await RunningServer.StartAsync();
        await using var nurseContext = await NewContextAsync(chromium.Browser);
        await using var guestContext = await NewFirefoxContextAsync();

        var nurse = await OpenConsoleVisitAsync(nurseContext, server, "nurse-1", "appt-1");
        var link = await InviteAsync(nurse, "guest", "Daughter");
        await nurse.Locator("[data-testid=invitation-row][data-state=active] [data-testid=invite-revoke]").ClickAsync(new() { Timeout = WaitMs });
        await nurse.Locator("[data-testid=invitation-row][data-state=revoked]").WaitForAsync(new() { Timeout = WaitMs });

        var guest = await OpenLinkAsync(guestContext, link, "Maria");
        var error = guest.Locator("[data-testid=join-error]");
        await error.WaitForAsync(new() { Timeout = WaitMs });
        Assert.Equal("This invitation was withdrawn by the clinic.", (await error.TextContentAsync(new() { Timeout = WaitMs }))?.Trim());
        Assert.Equal(0, await guest.Locator("[data-testid=visit-page]").CountAsync());
        Assert.Null(await guest.EvaluateAsync<string?>("() => sessionStorage.getItem('videovisit.auth')"));
    }

    [Fact]
    public async Task AGuestsCallOutlivesTheirOneMinuteTokenWithoutKnockingAgain()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Visits:GuestTokenMinutes"] = "1" });
        await using var nurseContext = await NewContextAsync(chromium.Browser);
        await using var guestContext = await NewContextAsync(chromium.Browser);

        var nurse = await OpenConsoleVisitAsync(nurseContext, server, "nurse-1", "appt-1");
        var link = await InviteAsync(nurse, "interpreter", "");
        var guest = await OpenLinkAsync(guestContext, link, "Ana Silva");
        await guest.Locator("[data-testid=visit-page]").WaitForAsync(new() { Timeout = WaitMs });
        await BeginVideoVisitAsync(guest);
        var guestId = await ParticipantIdAsync(guest);
        var firstToken = await TokenAsync(guest);
        await nurse.Locator($"[data-participant-id='{guestId}'] [data-testid=admit-button]").ClickAsync(new() { Timeout = WaitMs });
        await Task.WhenAll(WaitForRemoteVideosPlayingAsync(guest, 1), WaitForRemoteVideosPlayingAsync(nurse, 1));

        // Past the first token's minute: the server closed the guest's hub connection, the page renewed and resumed.
        var contexts = server.Services.GetRequiredService<IDbContextFactory<VideoVisitDb>>();
        var deadline = DateTime.UtcNow.AddSeconds(150);
        List<string> events = [];
        while (DateTime.UtcNow < deadline)
        {
            await using var db = await contexts.CreateDbContextAsync();
            events = await db.VisitEvents.Where(e => e.ParticipantId == guestId).OrderBy(e => e.Id).Select(e => e.Kind).ToListAsync();
            if (events.Contains("resumed"))
            {
                break;
            }

            await Task.Delay(1000);
        }

        Assert.Contains("connection-lost", events);
        Assert.Contains("resumed", events);
        Assert.Single(events, e => e == "knocked");
        Assert.NotEqual(firstToken, await TokenAsync(guest));
        Assert.Equal(guestId, await ParticipantIdAsync(guest));
        await guest.Locator("[data-visit-phase=admitted]").WaitForAsync(new() { Timeout = WaitMs });
        await Task.WhenAll(WaitForRemoteVideosPlayingAsync(guest, 1), WaitForRemoteVideosPlayingAsync(nurse, 1));
    }

    private static Task<string> TokenAsync(IPage page) =>
        page.EvaluateAsync<string>("() => JSON.parse(sessionStorage.getItem('videovisit.auth')).accessToken");
}
