using System.Globalization;
using VideoVisit.Server.Tests.Integration;
using VideoVisit.Server.Tests.Store;
using VideoVisit.Testing;

namespace VideoVisit.Server.Tests.Cluster;

/// <summary>
/// Two servers in one Orleans cluster (<c>Cluster:Enabled</c>: membership in a real Redis, the store in
/// a real PostgreSQL): the patient on one and the nurse on the other are in the same visit, which one
/// grain holds, and everything between them crosses servers.
/// </summary>
[Collection(OnPostgres.Name)]
public sealed class VisitGrainClusterTests(PostgresFixture postgres)
{
    [Fact]
    public async Task APatientOnOneServerAndTheNurseOnTheOtherShareOneVisitAndEverythingCrosses()
    {
        await using var servers = await TwoServers.StartAsync(postgres.Instance);
        var (a, b) = (servers.A, servers.B);
        await using var nurse = await a.ConnectAsync("nurse-1");
        var patient = await b.ConnectAsync("patient-1");

        var knocked = await patient.InvokeAsync("BeginVisit", "appt-1", null);
        var opened = await nurse.InvokeAsync("BeginVisit", "appt-1", null);
        var visitId = knocked.Str("visitId");
        Assert.Equal(visitId, opened.Str("visitId"));
        var patientSeat = knocked.Str("participantId");
        await nurse.WaitForStateAsync(s => s.StateOf(patientSeat) == "waiting");

        await nurse.InvokeAsync("Admit", visitId, patientSeat);
        await patient.WaitForStateAsync(s => s.StateOf(patientSeat) == "admitted");
        await patient.InvokeAsync("SendSignal", visitId, opened.Str("participantId"), "offer", new { sdp = "v=0 cluster" });
        var signal = await nurse.WaitForAsync("Signal");
        Assert.Equal(patientSeat, signal.Str("fromParticipantId"));
        await nurse.InvokeAsync("SendChat", visitId, "n-1", "Hello from server A");
        await patient.WaitForAsync("ChatMessage", m => m.Str("text") == "Hello from server A");
        await patient.InvokeAsync("SendChat", visitId, "p-1", "Hello from server B");
        await nurse.WaitForAsync("ChatMessage", m => m.Str("text") == "Hello from server B");

        // The patient's connection to B drops; they come back through A: the same seat, still admitted, no knock, and the chat.
        patient.Abort();
        await nurse.WaitForStateAsync(s => s.StateOf(patientSeat) == "reconnecting");
        await using var back = await a.ConnectAsync("patient-1");
        var resumed = await back.InvokeAsync("BeginVisit", "appt-1", null);
        Assert.Equal(patientSeat, resumed.Str("participantId"));
        Assert.Equal("admitted", resumed.Str("state"));
        await back.WaitForAsync("ChatMessage", m => m.Str("text") == "Hello from server A");
        await back.WaitForAsync("ChatMessage", m => m.Str("text") == "Hello from server B");
        await nurse.WaitForStateAsync(s => s.StateOf(patientSeat) == "admitted");
        await patient.DisposeAsync();
    }

    /// <summary>
    /// The server that does not run the visit keeps the routes of its signals (no grain call per signal),
    /// yet the moment a change is seen, a route it made invalid is refused, in both directions: whichever
    /// server runs the grain, the other one had a route cached.
    /// </summary>
    [Fact]
    public async Task ASignalAcrossServersIsRefusedAsSoonAsTheChangeThatEndedItsRouteIsSeen()
    {
        await using var servers = await TwoServers.StartAsync(postgres.Instance);
        var (a, b) = (servers.A, servers.B);
        await using var nurse = await a.ConnectAsync("nurse-1");
        await using var patient = await b.ConnectAsync("patient-1");
        var knocked = await patient.InvokeAsync("BeginVisit", "appt-1", null);
        var opened = await nurse.InvokeAsync("BeginVisit", "appt-1", null);
        var visitId = knocked.Str("visitId");
        var patientSeat = knocked.Str("participantId");
        var nurseSeat = opened.Str("participantId");

        async Task SignalsCrossBothWaysAsync(string round)
        {
            for (var i = 0; i < 3; i++)
            {
                var fromPatient = $"{round}-p{i}";
                var fromNurse = $"{round}-n{i}";
                await patient.InvokeAsync("SendSignal", visitId, nurseSeat, "ice", new { candidate = fromPatient });
                await nurse.InvokeAsync("SendSignal", visitId, patientSeat, "ice", new { candidate = fromNurse });
                await nurse.WaitForAsync("Signal", m => m.GetProperty("payload").Str("candidate") == fromPatient);
                await patient.WaitForAsync("Signal", m => m.GetProperty("payload").Str("candidate") == fromNurse);
            }
        }

        async Task BothRefusedAsync()
        {
            Assert.Contains("only after you have been admitted", await patient.InvokeExpectingErrorAsync("SendSignal", visitId, nurseSeat, "ice", new { candidate = "late-p" }), StringComparison.Ordinal);
            Assert.Contains("not in the call", await nurse.InvokeExpectingErrorAsync("SendSignal", visitId, patientSeat, "ice", new { candidate = "late-n" }), StringComparison.Ordinal);
        }

        await nurse.InvokeAsync("Admit", visitId, patientSeat);
        await patient.WaitForStateAsync(s => s.StateOf(patientSeat) == "admitted");
        await SignalsCrossBothWaysAsync("first");

        // Returned to waiting: refused as soon as the nurse's call returns.
        await nurse.InvokeAsync("ReturnToWaiting", visitId, patientSeat);
        await BothRefusedAsync();

        await nurse.InvokeAsync("Admit", visitId, patientSeat);
        await patient.WaitForStateAsync(s => s.StateOf(patientSeat) == "admitted");
        await SignalsCrossBothWaysAsync("again");

        // The patient's connection drops: once the nurse sees them reconnecting, the nurse's signal is refused.
        patient.Abort();
        await nurse.WaitForStateAsync(s => s.StateOf(patientSeat) == "reconnecting");
        Assert.Contains("not in the call", await nurse.InvokeExpectingErrorAsync("SendSignal", visitId, patientSeat, "ice", new { candidate = "to-nobody" }), StringComparison.Ordinal);
    }

    /// <summary>Two servers of one cluster on a new database and their own Redis.</summary>
    private sealed class TwoServers : IAsyncDisposable
    {
        private readonly List<IAsyncDisposable> _owned = [];

        public VisitServer A { get; private set; } = null!;

        public VisitServer B { get; private set; } = null!;

        public static async Task<TwoServers> StartAsync(PostgresInstance postgres)
        {
            var servers = new TwoServers();
            try
            {
                var redis = await RedisInstance.StartAsync();
                servers._owned.Add(redis);
                var settings = ClusterSettings(postgres, PostgresInstance.NewDatabaseName(), redis);
                var siloPorts = FreePorts.Many(2);
                servers.A = await VisitServer.StartAsync(settings(siloPorts[0]));
                servers._owned.Add(servers.A);
                servers.B = await VisitServer.StartAsync(settings(siloPorts[1]));
                servers._owned.Add(servers.B);
                return servers;
            }
            catch
            {
                await servers.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            for (var i = _owned.Count - 1; i >= 0; i--)
            {
                await _owned[i].DisposeAsync();
            }
        }
    }

    /// <summary>The settings of one server of a cluster on <paramref name="database"/>, given its silo port.</summary>
    internal static Func<int, Dictionary<string, string?>> ClusterSettings(PostgresInstance postgres, string database, RedisInstance redis)
    {
        var clusterId = "test-" + Guid.NewGuid().ToString("N")[..10];
        return siloPort =>
        {
            var settings = StoreSettings.PostgreSql(postgres, database);
            settings["ConnectionStrings:Redis"] = redis.ConnectionString;
            settings["Cluster:Enabled"] = "true";
            settings["Cluster:ClusterId"] = clusterId;
            settings["Cluster:AdvertisedAddress"] = "127.0.0.1";
            settings["Cluster:SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture);
            return settings;
        };
    }
}
