using System.Collections.Concurrent;
using VideoVisit.Server.Tests.Integration;
using VideoVisit.Testing;

namespace VideoVisit.Server.Tests.Store;

/// <summary>
/// What the server acknowledged is stored: a real server process acknowledges chat messages to real
/// SignalR clients and is killed with SIGKILL while more are on their way; started again on the same
/// database, it gives a returning participant every acknowledged message.
/// </summary>
[Collection(OnPostgres.Name)]
public sealed class CrashDurabilityTests(PostgresFixture postgres)
{
    /// <summary>All of them fit in the chat replay a returning participant gets (the last 200).</summary>
    private const int Sent = 200;

    private const int KillAfterAcknowledged = 150;

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSql")]
    public async Task EveryAcknowledgedChatMessageSurvivesAKill9(string provider)
    {
        var settings = provider == "Sqlite"
            ? new Dictionary<string, string?> { ["Data:Directory"] = Directory.CreateTempSubdirectory("videovisit-crash-").FullName }
            : StoreSettings.PostgreSql(postgres.Instance, PostgresInstance.NewDatabaseName());
        // The per-connection chat limit would otherwise refuse most of a burst this size.
        settings["Visits:ChatBurst"] = "1000";
        settings["Visits:ChatPerSecond"] = "1000";

        var acknowledged = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        string visitId;
        await using (var server = await ServerProcess.StartAsync(settings))
        {
            await using var nurse = await server.ConnectAsync("nurse-1");
            await using var patient = await server.ConnectAsync("patient-1");
            var knocked = await patient.InvokeAsync("BeginVisit", "appt-1", null);
            visitId = knocked.Str("visitId");
            await nurse.InvokeAsync("BeginVisit", "appt-1", null);
            await nurse.InvokeAsync("Admit", visitId, knocked.Str("participantId"));
            await patient.WaitForStateAsync(s => s.StateOf(knocked.Str("participantId")) == "admitted");

            // Both send at once, several calls in flight each; the server is killed as soon as enough are acknowledged.
            var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var killing = false;
            async Task SendAsync(HubClient client, string who, int from, int count)
            {
                using var inFlight = new SemaphoreSlim(8);
                var calls = Enumerable.Range(from, count).Select(async i =>
                {
                    await inFlight.WaitAsync();
                    try
                    {
                        var clientMessageId = $"{who}-{i:D3}";
                        var message = await client.InvokeAsync("SendChat", visitId, clientMessageId, $"message {i} from {who}");
                        acknowledged[clientMessageId] = message.Str("messageId");
                        if (acknowledged.Count >= KillAfterAcknowledged)
                        {
                            enough.TrySetResult();
                        }
                    }
                    catch (Exception) when (killing)
                    {
                        // Unacknowledged: the connection went down with the server. Nothing is promised about it.
                    }
                    finally
                    {
                        inFlight.Release();
                    }
                });
                await Task.WhenAll(calls);
            }

            var sending = Task.WhenAll(SendAsync(patient, "patient", 0, Sent / 2), SendAsync(nurse, "nurse", Sent / 2, Sent / 2));
            await Task.WhenAny(enough.Task, sending).Unwrap().WaitAsync(TimeSpan.FromSeconds(60));
            Volatile.Write(ref killing, true);
            await server.KillAsync();
            await sending.WaitAsync(TimeSpan.FromSeconds(60));
        }

        Assert.InRange(acknowledged.Count, KillAfterAcknowledged, Sent);
        var acked = acknowledged.ToDictionary();

        await using var restarted = await ServerProcess.StartAsync(settings);
        await using var returning = await restarted.ConnectAsync("nurse-1");
        Assert.Equal(visitId, (await returning.InvokeAsync("BeginVisit", "appt-1", null)).Str("visitId"));
        // The replay is sent before BeginVisit's answer; wait for the newest acknowledged one all the same.
        var received = new Dictionary<string, string>(StringComparer.Ordinal);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            received = returning.Events("ChatMessage").ToDictionary(m => m.Str("clientMessageId"), m => m.Str("messageId"), StringComparer.Ordinal);
            if (acked.Keys.All(received.ContainsKey) || DateTime.UtcNow > deadline)
            {
                break;
            }

            await returning.WaitForAsync("ChatMessage", m => !received.ContainsKey(m.Str("clientMessageId")), deadline - DateTime.UtcNow).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        var missing = acked.Keys.Where(k => !received.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {acked.Count} acknowledged messages are missing after the kill: {string.Join(", ", missing.Take(20))}");
        Assert.All(acked, a => Assert.Equal(a.Value, received[a.Key]));
    }
}
