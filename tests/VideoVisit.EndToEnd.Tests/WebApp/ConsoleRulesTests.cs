using Microsoft.Playwright;
using VideoVisit.EndToEnd.Tests.Browsers;
using VideoVisit.Server.Tests.Integration;
using VideoVisit.Testing;
using static VideoVisit.EndToEnd.Tests.WebApp.WebAppDriver;

namespace VideoVisit.EndToEnd.Tests.WebApp;

/// <summary>
/// The professional's console in Chromium follows the server's rules: the waiting list in the server's
/// one order (a returned patient keeps their place), an answer to one waiting patient, and letting a
/// removed patient back in. The patients are official SignalR clients, so the test reads exactly what
/// the server sent them.
/// </summary>
[Trait("Category", "WebApp")]
[Trait("Engine", "Chromium")]
public sealed class ConsoleRulesTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    [Fact]
    public async Task TheConsoleListsWaitingPatientsInTheServersOrderAnswersOneAndLetsARemovedOneBackIn()
    {
        await using var server = await RunningServer.StartAsync();
        await using var nurseContext = await NewContextAsync(chromium.Browser);
        var nurse = await OpenConsoleVisitAsync(nurseContext, server, "nurse-1", "appt-group");
        await using var p1 = await HubClient.ConnectAsync(server.BaseAddress, await DevTokenAsync(server, "patient-1"));
        await using var p2 = await HubClient.ConnectAsync(server.BaseAddress, await DevTokenAsync(server, "patient-2"));
        var p1Id = (await p1.InvokeAsync("BeginVisit", "appt-group", null)).Str("participantId");
        var p2Id = (await p2.InvokeAsync("BeginVisit", "appt-group", null)).Str("participantId");
        var waitingRows = nurse.Locator("[data-testid=waiting-list] [data-testid=participant-row]");
        await WaitForOrderAsync(waitingRows, [p1Id, p2Id]);

        // Admitted and returned a little later: waited less this time, still first in line.
        await nurse.Locator($"[data-testid=participant-row][data-participant-id={p1Id}] [data-testid=admit-button]").ClickAsync();
        await WaitForOrderAsync(waitingRows, [p2Id]);
        await Task.Delay(1100);
        await nurse.Locator($"[data-testid=participant-row][data-participant-id={p1Id}] [data-testid=return-button]").ClickAsync();
        await WaitForOrderAsync(waitingRows, [p1Id, p2Id]);
        var told = await p1.WaitForStateAsync(s => s.StateOf(p1Id) == "waiting" && s.GetProperty("waitingCount").GetInt32() == 2 && s.GetProperty("placeInLine").GetInt32() == 1);
        Assert.Equal(1, told.GetProperty("placeInLine").GetInt32());

        // An answer to one waiting patient reaches them and nobody else waiting.
        var reply = nurse.Locator($"[data-testid=participant-row][data-participant-id={p2Id}] [data-testid=reply-to-waiting]");
        await reply.Locator("[data-testid=reply-input]").FillAsync("The doctor will see you in five minutes");
        await reply.Locator("[data-testid=reply-send]").ClickAsync();
        await p2.WaitForAsync("ChatMessage", m => m.Str("text") == "The doctor will see you in five minutes");

        // Removed, then let back in from the console: the patient knocks again and waits.
        await nurse.Locator($"[data-testid=participant-row][data-participant-id={p2Id}] [data-testid=remove-button]").ClickAsync();
        await p2.WaitForAsync("Removed");
        Assert.Contains("removed", await p2.InvokeExpectingErrorAsync("BeginVisit", "appt-group", null), StringComparison.Ordinal);
        await nurse.Locator($"[data-testid=removed-row][data-participant-id={p2Id}] [data-testid=allow-back-button]").ClickAsync();
        await nurse.Locator($"[data-testid=removed-row][data-participant-id={p2Id}]").WaitForAsync(new() { State = WaitForSelectorState.Detached });
        Assert.Equal("waiting", (await p2.InvokeAsync("BeginVisit", "appt-group", null)).Str("state"));
        await WaitForOrderAsync(waitingRows, [p1Id, p2Id]);

        Assert.DoesNotContain(p1.Events("ChatMessage"), m => m.Str("text").Contains("five minutes", StringComparison.Ordinal));
        await nurse.ScreenshotAsync(new() { Path = Path.Combine(Artifacts.Directory("webapp"), "console-waiting-order.png") });
    }

    private static async Task WaitForOrderAsync(ILocator rows, string[] participantIds)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(WaitMs);
        string[] seen = [];
        while (DateTime.UtcNow < deadline)
        {
            seen = [.. (await rows.EvaluateAllAsync<string[]>("rows => rows.map(r => r.getAttribute('data-participant-id'))"))];
            if (seen.SequenceEqual(participantIds))
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Equal(participantIds, seen);
    }

    private static async Task<string> DevTokenAsync(RunningServer server, string personId)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(15) };
        using var response = await http.PostAsync(new Uri("/api/dev/token", UriKind.Relative), new StringContent($$"""{"personId":"{{personId}}"}""", System.Text.Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
        using var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("accessToken").GetString()!;
    }
}
