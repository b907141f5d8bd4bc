using Microsoft.Extensions.DependencyInjection;
using VideoVisit.EndToEnd.Tests.Browsers;
using VideoVisit.Media.Hosting;
using VideoVisit.Testing;
using static VideoVisit.EndToEnd.Tests.WebApp.WebAppDriver;

namespace VideoVisit.EndToEnd.Tests.WebApp;

/// <summary>
/// A console tab open longer than its TURN credentials live still makes relay-only calls: the app
/// fetches new credentials half-way to expiry (60-second credentials here, the server's minimum).
/// </summary>
[Trait("Category", "WebApp")]
[Trait("Engine", "Chromium")]
public sealed class TurnCredentialTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    [Fact]
    public async Task AConsoleOpenPastItsTurnCredentialsStillCallsThroughTheRelay()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Turn:CredentialLifetimeSeconds"] = "60" });
        await using var nurseContext = await NewContextAsync(chromium.Browser);
        await using var patientContext = await NewContextAsync(chromium.Browser);
        var nurse = await OpenConsoleVisitAsync(nurseContext, server, "nurse-1", "appt-1", "&relay=only");

        // The credentials the console fetched on opening have expired by now.
        await Task.Delay(TimeSpan.FromSeconds(70));
        var patient = await OpenAsAsync(patientContext, server, "patient-1", "/visit/appt-1", "&relay=only");
        await BeginVideoVisitAsync(patient);
        await nurse.ClickAsync("[data-testid=admit-button]", new() { Timeout = WaitMs });

        await Task.WhenAll(WaitForRemoteVideosPlayingAsync(patient, 1), WaitForRemoteVideosPlayingAsync(nurse, 1));

        // Both pages may use relay candidates only, so the video above came through our relay, which
        // allocated for the console after its first credentials had expired; the relay's counters say
        // so. (The pages' own stats poll naming the pair is not waited for: on a busy machine it came
        // late or never, while the video was already playing.)
        var relay = server.Services.GetRequiredService<TurnRelayStatus>();
        Assert.True(relay.Counters.AllocationsCreated >= 2, $"allocations: {relay.Counters.AllocationsCreated}");
        Assert.True(relay.Counters.PacketsToPeers > 0 && relay.Counters.PacketsToClients > 0);
    }
}
