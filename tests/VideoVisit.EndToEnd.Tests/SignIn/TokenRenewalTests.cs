using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using VideoVisit.EndToEnd.Tests.Browsers;
using VideoVisit.Server.Data;
using static VideoVisit.EndToEnd.Tests.WebApp.WebAppDriver;

namespace VideoVisit.EndToEnd.Tests.SignIn;

/// <summary>
/// Tokens shorter than a visit: with 60-second access tokens the app renews in the background, the
/// server closes each hub connection when the token it was opened with expires, and the app reconnects
/// with the new token and resumes its seat: no second knock, and the video keeps playing throughout.
/// </summary>
[Trait("Category", "SignIn")]
[Trait("Engine", "Chromium")]
public sealed class TokenRenewalTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    [Fact]
    public async Task ACallOutlivesItsSixtySecondTokensWithoutKnockingAgainOrLosingVideo()
    {
        var (server, provider) = await OidcFlow.StartAsync(accessTokenSeconds: 60);
        await using var _ = provider;
        await using var __ = server;
        await using var patientContext = await NewContextAsync(chromium.Browser);
        await using var nurseContext = await NewContextAsync(chromium.Browser);

        var patient = await patientContext.NewPageAsync();
        await patient.GotoAsync(new Uri(server.BaseAddress, "/visit/appt-1").ToString(), new() { Timeout = WaitMs });
        await OidcFlow.SignInAsync(patient, "patient-1");
        await BeginVideoVisitAsync(patient);
        var patientId = await ParticipantIdAsync(patient);
        var firstToken = await TokenAsync(patient);

        var nurse = await nurseContext.NewPageAsync();
        await nurse.GotoAsync(new Uri(server.BaseAddress, "/console/appt-1").ToString(), new() { Timeout = WaitMs });
        await OidcFlow.SignInAsync(nurse, "nurse-1");
        await nurse.Locator("[data-testid=console-visit][data-visit-phase=admitted]").WaitForAsync(new() { Timeout = WaitMs });
        await nurse.Locator($"[data-participant-id='{patientId}'] [data-testid=admit-button]").ClickAsync(new() { Timeout = WaitMs });
        await WaitForRemoteVideosPlayingAsync(patient, 1);
        await WaitForRemoteVideosPlayingAsync(nurse, 1);

        // Past the first tokens' lifetime: both hub connections were closed by the server and resumed.
        var contexts = server.Services.GetRequiredService<IDbContextFactory<VideoVisitDb>>();
        var deadline = DateTime.UtcNow.AddSeconds(120);
        List<string> patientEvents = [];
        while (DateTime.UtcNow < deadline)
        {
            await using var db = await contexts.CreateDbContextAsync();
            patientEvents = await db.VisitEvents.Where(e => e.ParticipantId == patientId).OrderBy(e => e.Id).Select(e => e.Kind).ToListAsync();
            if (patientEvents.Contains("resumed"))
            {
                break;
            }

            await Task.Delay(1000);
        }

        Assert.Contains("connection-lost", patientEvents);
        Assert.Contains("resumed", patientEvents);
        Assert.Single(patientEvents, e => e == "knocked");
        Assert.NotEqual(firstToken, await TokenAsync(patient));
        Assert.Equal(patientId, await ParticipantIdAsync(patient));
        await patient.Locator("[data-visit-phase=admitted]").WaitForAsync(new() { Timeout = WaitMs });
        await WaitForRemoteVideosPlayingAsync(patient, 1);
        await WaitForRemoteVideosPlayingAsync(nurse, 1);
        await patient.ScreenshotAsync(new() { Path = Path.Combine(Artifacts.Directory("signin"), "renewed-call.png") });
    }

    private static Task<string> TokenAsync(IPage page) =>
        page.EvaluateAsync<string>("() => JSON.parse(sessionStorage.getItem('videovisit.auth')).accessToken");
}
