using Microsoft.Playwright;
using VideoVisit.EndToEnd.Tests.Browsers;
using VideoVisit.Testing;
using static VideoVisit.EndToEnd.Tests.WebApp.WebAppDriver;

namespace VideoVisit.EndToEnd.Tests.WebApp;

/// <summary>
/// The embedded relay on its defaults (<c>dotnet run</c>: listening on 0.0.0.0, no Turn:RelayAddress,
/// no Turn:AllowedPeers), opened as http://localhost like a developer does: on a machine without a
/// firewall the device check must find UDP working, and two browsers on this machine must be able to
/// call each other through the relay alone.
/// </summary>
[Trait("Category", "WebApp")]
public sealed class DefaultRelayTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private static Task<RunningServer> StartOnDefaultsAsync() => RunningServer.StartAsync(new Dictionary<string, string?>
    {
        ["Turn:RelayAddress"] = "",
        ["Turn:ListenAddress"] = "0.0.0.0",
        ["Turn:AllowedPeers:0"] = null,
    });

    private static async Task<IPage> OpenOnLocalhostAsync(IBrowserContext context, RunningServer server, string personId, string path, string query = "")
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync($"http://localhost:{server.BaseAddress.Port}{path}?as={personId}{query}", new() { Timeout = WaitMs });
        await page.Locator("[data-testid=signed-in-as]").WaitForAsync(new() { Timeout = WaitMs });
        return page;
    }

    [Fact]
    public async Task TheDeviceCheckOnTheDefaultRelayFindsUdpWorkingOnAMachineWithoutAFirewall()
    {
        await using var server = await StartOnDefaultsAsync();
        var options = server.Services.GetService(typeof(Microsoft.Extensions.Options.IOptions<VideoVisit.Media.TurnOptions>)) as Microsoft.Extensions.Options.IOptions<VideoVisit.Media.TurnOptions>;
        Assert.Empty(options!.Value.AllowedPeers);
        Assert.Equal("", options.Value.RelayAddress);

        await using var context = await NewContextAsync(chromium.Browser);
        var page = await OpenOnLocalhostAsync(context, server, "patient-1", "/visit/appt-1");
        var report = await PrecheckReportAsync(page);
        Assert.True(report.GetProperty("network").GetProperty("relay").GetString() == "udp", "device check report: " + report.GetProperty("network"));
    }

    [Fact]
    public async Task TwoBrowsersOnThisMachineCallEachOtherThroughTheDefaultRelayAlone()
    {
        await using var server = await StartOnDefaultsAsync();
        await using var patientContext = await NewContextAsync(chromium.Browser);
        await using var nurseContext = await NewContextAsync(chromium.Browser);
        var patient = await OpenOnLocalhostAsync(patientContext, server, "patient-1", "/visit/appt-1", "&relay=only");
        await BeginVideoVisitAsync(patient);
        var nurse = await OpenOnLocalhostAsync(nurseContext, server, "nurse-1", "/console/appt-1", "&relay=only");
        await nurse.Locator("[data-testid=console-visit][data-visit-phase=admitted]").WaitForAsync(new() { Timeout = WaitMs });
        await nurse.ClickAsync("[data-testid=admit-button]", new() { Timeout = WaitMs });
        await Task.WhenAll(WaitForRemoteVideosPlayingAsync(patient, 1), WaitForRemoteVideosPlayingAsync(nurse, 1));
        foreach (var page in new[] { patient, nurse })
        {
            await page.Locator("[data-testid=remote-tile][data-connection-path=relay]").WaitForAsync(new() { Timeout = WaitMs });
            var peer = Assert.Single(await PeersAsync(page));
            Assert.Equal("relay", peer.GetProperty("localCandidateType").GetString());
        }
    }
}
