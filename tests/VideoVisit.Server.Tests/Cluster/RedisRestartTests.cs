using VideoVisit.Server.Tests.Integration;
using VideoVisit.Server.Tests.Store;
using VideoVisit.Testing;

namespace VideoVisit.Server.Tests.Cluster;

/// <summary>
/// Redis holds the cluster's membership and carries the servers' messages. When it restarts empty (it
/// keeps nothing on disk here), the servers are no longer in the membership table, so none of them could
/// be declared dead after a crash: each stops by itself (a failure exit, <c>MembershipGuard</c>), is started
/// again as a process manager would, and joins anew. The call between a nurse on one server and a patient
/// on the other then goes on through new connections into the same seats, with the chat kept, and a
/// server killed afterwards is declared dead again: its seats start their grace and its visits move.
/// </summary>
[Collection(OnPostgres.Name)]
public sealed class RedisRestartTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task WhenRedisRestartsEmptyTheServersRejoinAndACrashIsStillNoticed()
    {
        await using var redis = await RedisInstance.StartAsync();
        await using var cluster = await ServerCluster.StartAsync(PostgresFixture.Current, redis, 2);
        var nurse = await cluster[0].ConnectAsync("nurse-1");
        var patient = await cluster[1].ConnectAsync("patient-1");
        var knocked = await patient.InvokeAsync("BeginVisit", "appt-1", null);
        var (visitId, patientSeat) = (knocked.Str("visitId"), knocked.Str("participantId"));
        var nurseSeat = (await nurse.InvokeAsync("BeginVisit", "appt-1", null)).Str("participantId");
        await nurse.WaitForStateAsync(s => s.StateOf(patientSeat) == "waiting");
        await nurse.InvokeAsync("Admit", visitId, patientSeat);
        await patient.WaitForStateAsync(s => s.StateOf(patientSeat) == "admitted");
        await ExchangeAsync(nurse, patient, visitId, nurseSeat, patientSeat, "before");

        await redis.KillAsync();
        await Task.Delay(TimeSpan.FromSeconds(2));
        await redis.StartAgainAsync();
        foreach (var server in cluster.Servers)
        {
            var exitCode = await server.WaitStoppedAsync(Within);
            Assert.True(exitCode != 0, $"{server.Name} exited with 0, as if all were well\n{server.Tail(40)}");
            Assert.Contains("is missing from the cluster's membership table", server.Output, StringComparison.Ordinal);
        }

        await nurse.DisposeAsync();
        await patient.DisposeAsync();
        await cluster[0].StartAgainAsync();
        await cluster[1].StartAgainAsync();
        await using var nurseAgain = await cluster[0].ConnectAsync("nurse-1");
        await using var patientAgain = await cluster[1].ConnectAsync("patient-1");
        var nurseResumed = await HubClient.RetryAsync(() => nurseAgain.InvokeAsync("BeginVisit", "appt-1", null), Within, () => cluster.Describe(60));
        Assert.Equal(nurseSeat, nurseResumed.Str("participantId"));
        var patientResumed = await HubClient.RetryAsync(() => patientAgain.InvokeAsync("BeginVisit", "appt-1", null), Within, () => cluster.Describe(60));
        Assert.Equal(patientSeat, patientResumed.Str("participantId"));
        Assert.Equal("admitted", patientResumed.Str("state"));
        await patientAgain.WaitForAsync("ChatMessage", m => m.Str("clientMessageId") == "n-before");
        await ExchangeAsync(nurseAgain, patientAgain, visitId, nurseSeat, patientSeat, "after");

        // The membership is whole again: a server killed now is declared dead, and its seat starts its grace.
        await cluster[1].KillAsync();
        await nurseAgain.WaitForStateAsync(s => s.StateOf(patientSeat) == "reconnecting", Within);
        // If the visit ran on the killed server, it moves to the nurse's at this call.
        await HubClient.RetryAsync(() => nurseAgain.InvokeAsync("EndVisit", visitId), Within, () => cluster.Describe(60));
    }

    /// <summary>An offer one way, an answer back, and a chat message each way, each seen by the other side.</summary>
    private static async Task ExchangeAsync(HubClient nurse, HubClient patient, string visitId, string nurseSeat, string patientSeat, string tag)
    {
        var short_ = TimeSpan.FromSeconds(5);
        await nurse.InvokeAsync("SendSignal", visitId, patientSeat, "offer", new { sdp = "v=0 " + tag });
        await patient.WaitForAsync("Signal", s => s.Str("kind") == "offer" && s.GetProperty("payload").GetProperty("sdp").GetString() == "v=0 " + tag, short_);
        await patient.InvokeAsync("SendSignal", visitId, nurseSeat, "answer", new { sdp = "v=0 " + tag });
        await nurse.WaitForAsync("Signal", s => s.Str("kind") == "answer" && s.GetProperty("payload").GetProperty("sdp").GetString() == "v=0 " + tag, short_);
        await nurse.InvokeAsync("SendChat", visitId, "n-" + tag, "From the nurse " + tag);
        await patient.WaitForAsync("ChatMessage", m => m.Str("clientMessageId") == "n-" + tag, short_);
        await patient.InvokeAsync("SendChat", visitId, "p-" + tag, "From the patient " + tag);
        await nurse.WaitForAsync("ChatMessage", m => m.Str("clientMessageId") == "p-" + tag, short_);
    }
}
