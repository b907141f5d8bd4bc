using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VideoVisit.Server.Data;
using VideoVisit.Server.Tests.Integration;
using VideoVisit.Testing;

namespace VideoVisit.Server.Tests.Store;

/// <summary>
/// PostgreSQL, the store of record, dies in the middle of a call (SIGKILL) and comes back (it recovers
/// from its log). Meanwhile the server says it is not ready, the call goes on (signals need no
/// database), and a chat message that cannot be stored is refused instead of shown or acknowledged.
/// Afterwards the server is ready again without a restart, the refused message sent again with the same
/// client id is stored and delivered once, and what was acknowledged before the outage is still there.
/// </summary>
public sealed class PostgresRestartTests
{
    [Fact]
    public async Task WhilePostgreSqlIsAwayTheCallGoesOnChatIsRefusedAndAfterwardsNothingIsMissing()
    {
        await using var postgres = await PostgresInstance.StartAsync();
        await using var server = await VisitServer.StartAsync(StoreSettings.PostgreSql(postgres, PostgresInstance.NewDatabaseName()));
        await using var visit = await VisitScenario.StartAsync(server, admit: true);
        var before = await visit.Patient.InvokeAsync("SendChat", visit.VisitId, "c-before", "Before the outage");

        await postgres.KillAsync();
        var down = await server.WaitReadyAsync(ready: false, TimeSpan.FromSeconds(10));
        Assert.Equal("Unhealthy", down.GetProperty("checks").GetProperty("database").GetString());

        await visit.Nurse.InvokeAsync("SendSignal", visit.VisitId, visit.PatientId, "offer", new { sdp = "v=0 during the outage" });
        await visit.Patient.WaitForAsync("Signal", s => s.Str("kind") == "offer");
        await visit.Patient.InvokeAsync("SendSignal", visit.VisitId, visit.NurseId, "answer", new { sdp = "v=0 during the outage" });
        await visit.Nurse.WaitForAsync("Signal", s => s.Str("kind") == "answer");

        var refused = await visit.Patient.InvokeExpectingErrorAsync("SendChat", visit.VisitId, "c-during", "During the outage");
        Assert.Contains("could not be saved", refused, StringComparison.Ordinal);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.DoesNotContain(visit.Nurse.Events("ChatMessage"), m => m.Str("clientMessageId") == "c-during");

        await postgres.StartAgainAsync();
        await server.WaitReadyAsync(ready: true, TimeSpan.FromSeconds(30));
        // Sent again, as the web app does, until the store just back takes it.
        var sent = await HubClient.RetryAsync(() => visit.Patient.InvokeAsync("SendChat", visit.VisitId, "c-during", "During the outage"), TimeSpan.FromSeconds(30));
        var delivered = await visit.Nurse.WaitForAsync("ChatMessage", m => m.Str("clientMessageId") == "c-during");
        Assert.Equal(sent.Str("messageId"), delivered.Str("messageId"));
        Assert.Single(visit.Nurse.Events("ChatMessage"), m => m.Str("clientMessageId") == "c-during");

        var contexts = server.Server.Services.GetRequiredService<IDbContextFactory<VideoVisitDb>>();
        await using var db = await contexts.CreateDbContextAsync();
        var stored = await db.Chat.Where(c => c.VisitId == visit.VisitId).ToDictionaryAsync(c => c.ClientMessageId, c => c.MessageId);
        Assert.Equal(before.Str("messageId"), stored["c-before"]);
        Assert.Equal(sent.Str("messageId"), stored["c-during"]);
    }
}
