using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VideoVisit.Media;
using VideoVisit.Server.Data;
using VideoVisit.Testing;

namespace VideoVisit.Server.Tests.Integration;

public sealed class PersistenceTests
{
    [Fact]
    public Task ChatEndedAndRemovedStateAndTheAuditTrailSurviveARestart() => SurvivesARestartAsync(null);

    /// <summary>Shared with <see cref="Store.PersistenceTestsOnPostgreSql"/>: <paramref name="settings"/> choose the store (null: SQLite in a new folder).</summary>
    internal static async Task SurvivesARestartAsync(Dictionary<string, string?>? settings)
    {
        string dataDirectory;
        string visitId;
        string firstMessageId;
        string upcomingBefore;
        await using (var server = await VisitServer.StartAsync(settings))
        {
            dataDirectory = server.Server.DataDirectory;
            upcomingBefore = (await server.GetJsonAsync("/api/appointments/upcoming", await server.TokenAsync("patient-1"))).GetRawText();
            await using var visit = await VisitScenario.StartAsync(server, admit: true);
            visitId = visit.VisitId;
            firstMessageId = (await visit.Patient.InvokeAsync("SendChat", visitId, "before-restart", "Hello from before")).Str("messageId");
            await using var ended = await VisitScenario.StartAsync(server, admit: true, appointmentId: "appt-2", patient: "patient-2", professional: "doctor-2");
            await ended.Nurse.InvokeAsync("EndVisit", ended.VisitId);
            await using var group = await VisitScenario.StartAsync(server, admit: false, appointmentId: "appt-group", patient: "patient-3");
            await group.Nurse.InvokeAsync("Remove", group.VisitId, group.PatientId);
            await group.Patient.WaitForAsync("Removed");
        }

        await using (var restarted = await VisitServer.StartAsync(settings, dataDirectory: dataDirectory))
        {
            var upcomingAfter = await restarted.GetJsonAsync("/api/appointments/upcoming", await restarted.TokenAsync("patient-1"));
            Assert.Equal(
                Strip(upcomingBefore),
                Strip(upcomingAfter.GetRawText()));

            await using var patient = await restarted.ConnectAsync("patient-1");
            var again = await patient.InvokeAsync("BeginVisit", "appt-1", null);
            Assert.Equal(visitId, again.Str("visitId"));
            var replayed = await patient.WaitForAsync("ChatMessage", m => m.Str("clientMessageId") == "before-restart");
            Assert.Equal(firstMessageId, replayed.Str("messageId"));
            Assert.Equal("Hello from before", replayed.Str("text"));
            var resent = await patient.InvokeAsync("SendChat", visitId, "before-restart", "Hello from before");
            Assert.Equal(firstMessageId, resent.Str("messageId"));

            await using var patient2 = await restarted.ConnectAsync("patient-2");
            Assert.Contains("ended", await patient2.InvokeExpectingErrorAsync("BeginVisit", "appt-2", null), StringComparison.Ordinal);
            await using var patient3 = await restarted.ConnectAsync("patient-3");
            Assert.Contains("removed", await patient3.InvokeExpectingErrorAsync("BeginVisit", "appt-group", null), StringComparison.Ordinal);

            var contexts = restarted.Server.Services.GetRequiredService<IDbContextFactory<VideoVisitDb>>();
            await using var db = await contexts.CreateDbContextAsync().WaitAsync(VisitServer.Timeout);
            var kinds = await db.VisitEvents.Where(e => e.VisitId == visitId).Select(e => e.Kind).ToListAsync().WaitAsync(VisitServer.Timeout);
            Assert.Contains("knocked", kinds);
            Assert.Contains("opened", kinds);
            Assert.Contains("admitted", kinds);
            var admitted = await db.VisitEvents.FirstAsync(e => e.VisitId == visitId && e.Kind == "admitted").WaitAsync(VisitServer.Timeout);
            Assert.Equal("nurse-1", admitted.ActorId);
            Assert.Equal("patient-1", admitted.TargetPersonId);
            Assert.Equal(1, await db.Chat.CountAsync(c => c.ClientMessageId == "before-restart").WaitAsync(VisitServer.Timeout));
        }
    }

    private static string Strip(string json) =>
        // The visit state of an appointment changes between the two reads; the appointments must not.
        System.Text.RegularExpressions.Regex.Replace(json, "\"visitState\":\"[a-z-]+\"", "");

    [Fact]
    public async Task AnEndedVisitStaysEndedAfterItLeavesMemory()
    {
        await using var server = await VisitServer.StartAsync();
        await using var visit = await VisitScenario.StartAsync(server, admit: true);
        await visit.Nurse.InvokeAsync("EndVisit", visit.VisitId);
        // The visit's grain leaves memory once nobody holds a seat in it (its timer deactivates it).
        var management = server.Server.Services.GetRequiredService<Orleans.IGrainFactory>().GetGrain<Orleans.Runtime.IManagementGrain>(0);
        async Task<bool> Active() =>
            (await management.GetDetailedGrainStatistics().WaitAsync(VisitServer.Timeout)).Any(g => g.GrainId.Key.ToString() == visit.VisitId);

        var deadline = DateTime.UtcNow + VisitServer.Timeout;
        while (await Active() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.False(await Active());
        await using var again = await server.ConnectAsync("nurse-1");
        Assert.Contains("ended", await again.InvokeExpectingErrorAsync("BeginVisit", "appt-1", null), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadyzReportsTheDatabase()
    {
        await using var server = await VisitServer.StartAsync();

        var ready = await server.GetJsonAsync("/readyz", "unused");

        Assert.Equal("Healthy", ready.Str("status"));
        Assert.Equal("Healthy", ready.GetProperty("checks").Str("database"));
    }

    [Fact]
    public async Task IceServersGiveStunAndTurnOverUdpAndTcpWithRestCredentials()
    {
        const string secret = "ice-test-secret";
        await using var server = await VisitServer.StartAsync(new Dictionary<string, string?>
        {
            ["Turn:Enabled"] = "false",
            ["Turn:RelayAddress"] = "203.0.113.10",
            ["Turn:ListenPort"] = "3479",
            ["Turn:SharedSecret"] = secret,
            ["Turn:CredentialLifetimeSeconds"] = "600",
        });

        var ice = await server.GetJsonAsync("/api/ice-servers", await server.TokenAsync("patient-1"));

        Assert.Equal(["stun:203.0.113.10:3479"], ice[0].GetProperty("urls").EnumerateArray().Select(u => u.GetString()));
        Assert.False(ice[0].TryGetProperty("username", out _));
        var turn = ice[1];
        Assert.Equal(
            ["turn:203.0.113.10:3479?transport=udp", "turn:203.0.113.10:3479?transport=tcp"],
            turn.GetProperty("urls").EnumerateArray().Select(u => u.GetString()));
        var username = turn.Str("username");
        Assert.EndsWith(":patient-1", username, StringComparison.Ordinal);
        Assert.True(TurnRestCredentials.TryGetExpiry(username, out var expiry));
        Assert.InRange(expiry, DateTimeOffset.UtcNow.AddSeconds(590), DateTimeOffset.UtcNow.AddSeconds(610));
        Assert.Equal(TurnRestCredentials.PasswordFor(secret, username), turn.Str("credential"));
    }

    [Fact]
    public async Task IceServersUseTheRequestHostWhenNoRelayAddressIsSet()
    {
        // The relay may listen here (once it is hosted in this process): give it a free port of its own.
        var port = RunningServer.FreeUdpAndTcpPort();
        await using var server = await VisitServer.StartAsync(new Dictionary<string, string?>
        {
            ["Turn:Enabled"] = "true",
            ["Turn:RelayAddress"] = "",
            ["Turn:ListenPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        using var response = await server.GetAsync("/api/ice-servers", await server.TokenAsync("nurse-1"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var ice = await server.GetJsonAsync("/api/ice-servers", await server.TokenAsync("nurse-1"));

        Assert.Equal($"stun:127.0.0.1:{port}", ice[0].GetProperty("urls")[0].GetString());
    }

}
