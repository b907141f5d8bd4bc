using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using VideoVisit.Server.Tests.Fhir;
using VideoVisit.Server.Tests.Integration;
using VideoVisit.Server.Tests.Store;
using VideoVisit.Testing;
using Xunit.Abstractions;

namespace VideoVisit.Server.Tests.Cluster;

/// <summary>
/// Three server processes in one Orleans cluster (<see cref="ServerCluster"/>: one PostgreSQL database,
/// one Redis) shared by the tests of this class; each test books its own appointment through the FHIR
/// API and puts its participants on different servers through the official .NET SignalR client. A test
/// that kills a server (SIGKILL) starts it again at the end, and the restarted server must serve the
/// visit again (it rejoined the cluster).
/// </summary>
[Collection(OnPostgres.Name)]
public sealed class ThreeServerClusterTests(ThreeServerClusterTests.ClusterFixture fixture, ITestOutputHelper output) : IClassFixture<ThreeServerClusterTests.ClusterFixture>
{
    /// <summary>Generous: membership declares a killed server dead in seconds, but the machine is a loaded 2-core one.</summary>
    private static readonly TimeSpan Failover = TimeSpan.FromSeconds(45);

    /// <summary>A planned stop's bound: within ASP.NET's default shutdown timeout (30 s), as a service manager waits before it kills.</summary>
    private static readonly TimeSpan PlannedStop = TimeSpan.FromSeconds(30);

    private ServerCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task AOneToOneVisitWithItsParticipantsOnThreeServers()
    {
        await fixture.EnsureAllRunningAsync();
        var appt = await BookAsync("patient-1");
        await using var nurse = await Cluster[0].ConnectAsync("nurse-1");
        await using var patient = await Cluster[1].ConnectAsync("patient-1");
        await using var representative = await Cluster[2].ConnectAsync("rep-appt");

        var knocked = await patient.InvokeAsync("BeginVisit", appt, null);
        Assert.Equal("waiting", knocked.Str("state"));
        var onBehalf = await representative.InvokeAsync("BeginVisit", appt, "patient-1");
        Assert.Equal("waiting", onBehalf.Str("state"));
        var opened = await nurse.InvokeAsync("BeginVisit", appt, null);
        var visitId = opened.Str("visitId");
        Assert.Equal(visitId, knocked.Str("visitId"));
        Assert.Equal(visitId, onBehalf.Str("visitId"));
        var (nurseSeat, patientSeat, repSeat) = (opened.Str("participantId"), knocked.Str("participantId"), onBehalf.Str("participantId"));
        await nurse.WaitForStateAsync(s => s.StateOf(patientSeat) == "waiting" && s.StateOf(repSeat) == "waiting");

        // Admit: the patient's server hears it from the grain, wherever that runs.
        await nurse.InvokeAsync("Admit", visitId, patientSeat);
        await patient.WaitForStateAsync(s => s.StateOf(patientSeat) == "admitted");

        // Signals both ways between servers 1 and 2; the waiting representative may not signal.
        await patient.InvokeAsync("SendSignal", visitId, nurseSeat, "offer", new { sdp = "v=0 offer from server 2" });
        var offer = await nurse.WaitForAsync("Signal", s => s.Str("fromParticipantId") == patientSeat);
        Assert.Equal("offer", offer.Str("kind"));
        await nurse.InvokeAsync("SendSignal", visitId, patientSeat, "answer", new { sdp = "v=0 answer from server 1" });
        await patient.WaitForAsync("Signal", s => s.Str("fromParticipantId") == nurseSeat && s.Str("kind") == "answer");
        await representative.InvokeExpectingErrorAsync("SendSignal", visitId, nurseSeat, "offer", new { sdp = "v=0" });

        // The call's chat reaches those in the call, across servers (not the representative still waiting on server 3).
        await nurse.InvokeAsync("SendChat", visitId, "n-1", "From the nurse on server 1");
        await patient.InvokeAsync("SendChat", visitId, "p-1", "From the patient on server 2");
        foreach (var client in new[] { nurse, patient })
        {
            await client.WaitForAsync("ChatMessage", m => m.Str("clientMessageId") == "n-1");
            await client.WaitForAsync("ChatMessage", m => m.Str("clientMessageId") == "p-1");
        }

        // Back to waiting: the patient may no longer signal; admitted again, they may.
        var returned = NextStateAsync(patient, s => s.StateOf(patientSeat) == "waiting");
        await nurse.InvokeAsync("ReturnToWaiting", visitId, patientSeat);
        await returned;
        await patient.InvokeExpectingErrorAsync("SendSignal", visitId, nurseSeat, "offer", new { sdp = "v=0" });
        var readmitted = NextStateAsync(patient, s => s.StateOf(patientSeat) == "admitted");
        await nurse.InvokeAsync("Admit", visitId, patientSeat);
        await readmitted;

        // Removed: told so on server 3, and cannot walk back in through another server.
        await nurse.InvokeAsync("Remove", visitId, repSeat);
        var removed = await representative.WaitForAsync("Removed");
        Assert.Equal(repSeat, removed.Str("participantId"));
        await using (var elsewhere = await Cluster[0].ConnectAsync("rep-appt"))
        {
            await elsewhere.InvokeExpectingErrorAsync("BeginVisit", appt, "patient-1");
        }

        // Ended: everyone hears it, on every server.
        await nurse.InvokeAsync("EndVisit", visitId);
        await nurse.WaitForAsync("VisitEnded", e => e.Str("visitId") == visitId);
        await patient.WaitForAsync("VisitEnded", e => e.Str("visitId") == visitId);
        Assert.DoesNotContain(representative.Events("ChatMessage"), m => m.Str("clientMessageId") is "n-1" or "p-1");
    }

    [Fact]
    public async Task AGroupVisitWithItsParticipantsSpreadOverThreeServers()
    {
        await fixture.EnsureAllRunningAsync();
        var appt = await BookAsync("patient-1", "patient-2", "patient-3");
        await using var nurse = await Cluster[0].ConnectAsync("nurse-1");
        await using var p1 = await Cluster[1].ConnectAsync("patient-1");
        await using var p2 = await Cluster[2].ConnectAsync("patient-2");
        await using var p3 = await Cluster[0].ConnectAsync("patient-3");

        var opened = await nurse.InvokeAsync("BeginVisit", appt, null);
        var visitId = opened.Str("visitId");
        var seats = new Dictionary<HubClient, string>();
        foreach (var p in new[] { p1, p2, p3 })
        {
            var knocked = await p.InvokeAsync("BeginVisit", appt, null);
            Assert.Equal(visitId, knocked.Str("visitId"));
            Assert.Equal("waiting", knocked.Str("state"));
            seats[p] = knocked.Str("participantId");
        }

        await nurse.WaitForStateAsync(s => seats.Values.All(seat => s.StateOf(seat) == "waiting"));
        await nurse.InvokeAsync("AdmitAll", visitId);
        foreach (var p in new[] { p1, p2, p3 })
        {
            await p.WaitForStateAsync(s => seats.Values.All(seat => s.StateOf(seat) == "admitted"));
        }

        // The mesh: patient 1 (server 2) to patient 2 (server 3) and back, and patient 3 (server 1) to the nurse.
        await p1.InvokeAsync("SendSignal", visitId, seats[p2], "offer", new { sdp = "v=0 p1->p2" });
        await p2.WaitForAsync("Signal", s => s.Str("fromParticipantId") == seats[p1] && s.Str("kind") == "offer");
        await p2.InvokeAsync("SendSignal", visitId, seats[p1], "answer", new { sdp = "v=0 p2->p1" });
        await p1.WaitForAsync("Signal", s => s.Str("fromParticipantId") == seats[p2] && s.Str("kind") == "answer");
        await p3.InvokeAsync("SendSignal", visitId, opened.Str("participantId"), "ice", new { candidate = "candidate:1 1 udp 1 127.0.0.1 9 typ host" });
        await nurse.WaitForAsync("Signal", s => s.Str("fromParticipantId") == seats[p3] && s.Str("kind") == "ice");

        await p2.InvokeAsync("SendChat", visitId, "p2-1", "Hello everyone, from server 3");
        foreach (var client in new[] { nurse, p1, p2, p3 })
        {
            await client.WaitForAsync("ChatMessage", m => m.Str("clientMessageId") == "p2-1");
        }

        // Patient 2 back to waiting: no signals to or from them; patient 3 removed; the others go on.
        var returned = NextStateAsync(p1, s => s.StateOf(seats[p2]) == "waiting");
        await nurse.InvokeAsync("ReturnToWaiting", visitId, seats[p2]);
        await returned;
        await p1.InvokeExpectingErrorAsync("SendSignal", visitId, seats[p2], "offer", new { sdp = "v=0" });
        await nurse.InvokeAsync("Remove", visitId, seats[p3]);
        Assert.Equal(seats[p3], (await p3.WaitForAsync("Removed")).Str("participantId"));
        await nurse.WaitForStateAsync(s => s.StateOf(seats[p3]) == "removed");
        await p1.InvokeAsync("SendSignal", visitId, opened.Str("participantId"), "offer", new { sdp = "v=0 p1->nurse" });
        await nurse.WaitForAsync("Signal", s => s.Str("fromParticipantId") == seats[p1] && s.Str("kind") == "offer");

        await nurse.InvokeAsync("EndVisit", visitId);
        foreach (var client in new[] { nurse, p1, p2 })
        {
            await client.WaitForAsync("VisitEnded", e => e.Str("visitId") == visitId);
        }
    }

    /// <summary>
    /// The failover, for the patient's server: the patient's server is killed (not the one running
    /// the visit's grain); the nurse sees the seat reconnecting once the cluster declares it dead; the patient
    /// comes back through another server into the same seat, admitted without knocking, with every
    /// acknowledged chat message; and the killed server, started again, serves the visit again.
    /// </summary>
    [Fact]
    public async Task KillingThePatientsServerLosesNothingAndThePatientResumesTheSameSeatElsewhere()
    {
        var (appt, visitId, nurseSeat, _, nurseServer, patientServer, nurse, patient, patientSeat, acknowledged) = await InACallAwayFromTheGrainAsync();
        await using var nurseConnection = nurse;

        await Cluster[patientServer].KillAsync();

        await WaitOrDescribeAsync(nurse, s => s.StateOf(patientSeat) == "reconnecting", "the nurse to see the patient's seat reconnecting");
        var otherServer = Enumerable.Range(0, 3).First(i => i != patientServer && i != nurseServer);
        var back = await PatientBackThroughAsync(otherServer, nurse, appt, visitId, nurseSeat, patientSeat, acknowledged);
        await patient.DisposeAsync();

        // Started again, the killed server rejoins: the patient's next connection goes through it.
        await Cluster[patientServer].StartAgainAsync();
        await back.DisposeAsync();
        await using var again = await Cluster[patientServer].ConnectAsync("patient-1");
        var rejoined = await RetryAsync(() => again.InvokeAsync("BeginVisit", appt, null));
        Assert.Equal(patientSeat, rejoined.Str("participantId"));
        Assert.Equal("admitted", rejoined.Str("state"));
        await AssertHasAllAsync(again, acknowledged);
        await nurse.InvokeAsync("EndVisit", visitId);
    }

    /// <summary>
    /// A server's death disturbs only the seats held through it: visits running on the other servers stay
    /// where they are (no activation anywhere after the kill) while their patients' seats on the dead server
    /// start their grace. Several visits, so some of them have their directory entry on the server killed:
    /// Orleans' default directory deactivated those visits, and they started again elsewhere from the store
    /// in the middle of the failover (two CI runs then never saw the patient's seat in grace).
    /// </summary>
    [Fact]
    public async Task KillingAServerLeavesTheVisitsRunningOnTheOthersWhereTheyAre()
    {
        await fixture.EnsureAllRunningAsync();
        var opened = new List<(string Appt, string VisitId, int Host, HubClient Nurse)>();
        var visits = new List<(string VisitId, int Host, string PatientSeat, HubClient Nurse, HubClient Patient)>();
        try
        {
            // The nurses on server 1; the patients on whichever of the other two runs fewer of the visits.
            for (var i = 0; i < 8; i++)
            {
                var appt = await BookAsync("patient-1");
                var nurse = await Cluster[0].ConnectAsync("nurse-1");
                var visitId = (await RetryAsync(() => nurse.InvokeAsync("BeginVisit", appt, null))).Str("visitId");
                opened.Add((appt, visitId, await GrainHostAsync(visitId), nurse));
            }

            var victim = opened.Count(v => v.Host == 1) <= opened.Count(v => v.Host == 2) ? 1 : 2;
            foreach (var (appt, visitId, host, nurse) in opened)
            {
                var patient = await Cluster[victim].ConnectAsync("patient-1");
                visits.Add((visitId, host, await AdmittedAsync(nurse, patient, appt, visitId), nurse, patient));
            }

            var elsewhere = visits.Where(v => v.Host != victim).ToList();
            Assert.True(elsewhere.Count >= 4, $"only {elsewhere.Count} of 8 visits run away from server {victim + 1}");
            var activations = elsewhere.ToDictionary(v => v.VisitId, v => ActivationsOf(v.VisitId));

            await Cluster[victim].KillAsync();

            foreach (var (visitId, _, patientSeat, nurse, _) in visits)
            {
                await WaitOrDescribeAsync(nurse, s => s.StateOf(patientSeat) == "reconnecting", $"the nurse of {visitId} to see the patient's seat reconnecting");
            }

            foreach (var (visitId, host, _, _, _) in elsewhere)
            {
                Assert.True(activations[visitId] == ActivationsOf(visitId), $"{visitId}, running on server {host + 1}, was activated again after server {victim + 1} was killed\n{Cluster.Describe(80)}");
            }
        }
        finally
        {
            await fixture.EnsureAllRunningAsync();
            foreach (var (_, visitId, _, nurse) in opened)
            {
                await nurse.InvokeAsync("EndVisit", visitId);
                await nurse.DisposeAsync();
            }

            foreach (var visit in visits)
            {
                await visit.Patient.DisposeAsync();
            }
        }
    }

    /// <summary>How many times any server logged the activation of <paramref name="visitId"/>'s grain.</summary>
    private int ActivationsOf(string visitId) =>
        Enumerable.Range(0, 3).Sum(i => ClusterComposeFileTests.Count(Cluster[i].Output, $"Visit {visitId} activated"));

    /// <summary>
    /// The same for the server running the visit's grain: neither participant is connected to it; after the
    /// kill their calls are answered again within seconds (the grain activates on another server from the
    /// store), nothing acknowledged is missing, the patient resumes the same seat through yet another
    /// connection, and the killed server, started again, serves the visit.
    /// </summary>
    [Fact]
    public async Task KillingTheServerRunningTheVisitLosesNothingAndTheVisitGoesOnElsewhere()
    {
        var (appt, visitId, nurseSeat, host, nurseServer, _, nurse, patient, patientSeat, acknowledged) = await InACallAwayFromTheGrainAsync();
        await using var nurseConnection = nurse;
        await using var patientConnection = patient;

        await Cluster[host].KillAsync();

        // The same client message id until it is acknowledged: the visit delivers it once.
        var after = await RetryAsync(() => patient.InvokeAsync("SendChat", visitId, "after-kill", "Still there?"));
        acknowledged["after-kill"] = after.Str("messageId");
        await nurse.WaitForAsync("ChatMessage", m => m.Str("clientMessageId") == "after-kill", Failover);
        await RetryAsync(() => nurse.InvokeAsync("SendSignal", visitId, patientSeat, "offer", new { sdp = "v=0 after the kill" }));
        await patient.WaitForAsync("Signal", s => s.Str("fromParticipantId") == nurseSeat && s.Str("kind") == "offer", Failover);
        // It runs on another server now (which logged its activation from the store).
        await GrainHostAsync(visitId, exceptOn: host);

        // A new connection of the patient (as after a network change) resumes the same seat with the whole chat.
        await using var back = await Cluster[nurseServer].ConnectAsync("patient-1");
        var resumed = await RetryAsync(() => back.InvokeAsync("BeginVisit", appt, null));
        Assert.Equal(patientSeat, resumed.Str("participantId"));
        Assert.Equal("admitted", resumed.Str("state"));
        await AssertHasAllAsync(back, acknowledged);
        var once = back.Events("ChatMessage").Count(m => m.Str("clientMessageId") == "after-kill");
        Assert.Equal(1, once);

        await Cluster[host].StartAgainAsync();
        await using var again = await Cluster[host].ConnectAsync("patient-1");
        var rejoined = await RetryAsync(() => again.InvokeAsync("BeginVisit", appt, null));
        Assert.Equal(patientSeat, rejoined.Str("participantId"));
        await AssertHasAllAsync(again, acknowledged);
        await nurse.InvokeAsync("EndVisit", visitId);
        AssertNoServerLogged("Still there?", "v=0 after the kill", "message 4 from the patient");
    }

    /// <summary>
    /// A planned stop (SIGTERM, as for a patch) of the server that runs the visit's grain and holds the
    /// patient's connection: it ends by itself (exit code 0) well within a service manager's patience; it
    /// tells the cluster it is leaving, so the nurse sees the seat reconnecting within seconds instead of
    /// after the missed probes a killed server needs, and goes on chatting; the patient comes back through
    /// another server into the same seat, admitted, with every acknowledged message; started again, the
    /// server serves the visit.
    /// </summary>
    [Fact]
    public async Task StoppingTheServerRunningTheVisitAndThePatientForAPatchLosesNothing()
    {
        var (appt, visitId, nurseSeat, host, nurseServer, _, nurse, patient, patientSeat, acknowledged) = await InACallAsync(patientOnTheGrainsServer: true);
        await using var nurseConnection = nurse;
        await using var patientConnection = patient;

        var reconnecting = NextStateAsync(nurse, s => s.StateOf(patientSeat) == "reconnecting");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var exitCode = await Cluster[host].StopAsync(PlannedStop);
        var exited = clock.Elapsed;
        Assert.True(exitCode == 0, $"{Cluster[host].Name} exited with {exitCode} after SIGTERM\n{Cluster[host].Tail(80)}");
        // Closed by the stop, not by the client noticing silence (30 s).
        await patient.WaitClosedAsync(TimeSpan.FromSeconds(5));
        await reconnecting.WaitAsync(TimeSpan.FromSeconds(10));
        var seenReconnecting = clock.Elapsed;

        var after = await RetryAsync(() => nurse.InvokeAsync("SendChat", visitId, "after-stop", "Are you coming back?"));
        acknowledged["after-stop"] = after.Str("messageId");
        await GrainHostAsync(visitId, exceptOn: host);

        var otherServer = Enumerable.Range(0, 3).First(i => i != host && i != nurseServer);
        await using var back = await PatientBackThroughAsync(otherServer, nurse, appt, visitId, nurseSeat, patientSeat, acknowledged);

        await Cluster[host].StartAgainAsync();
        await using var again = await Cluster[host].ConnectAsync("nurse-1");
        var rejoined = await RetryAsync(() => again.InvokeAsync("BeginVisit", appt, null));
        Assert.Equal(nurseSeat, rejoined.Str("participantId"));
        await AssertHasAllAsync(again, acknowledged);
        await again.InvokeAsync("EndVisit", visitId);
        AssertNoServerLogged("Are you coming back?", "message 4 from the nurse");
        output.WriteLine($"planned stop of the visit's server: exited {exited.TotalSeconds:0.00} s after SIGTERM; the nurse saw the seat reconnecting after {seenReconnecting.TotalSeconds:0.00} s");
    }

    /// <summary>
    /// The patient's new connection, through <paramref name="server"/>, resumes the same seat as admitted
    /// (the nurse sees it), with every acknowledged chat message, and can signal the nurse again.
    /// </summary>
    private async Task<HubClient> PatientBackThroughAsync(int server, HubClient nurse, string appt, string visitId, string nurseSeat, string patientSeat, IReadOnlyDictionary<string, string> acknowledged)
    {
        var back = await Cluster[server].ConnectAsync("patient-1");
        var seen = NextStateAsync(nurse, s => s.StateOf(patientSeat) == "admitted");
        var resumed = await RetryAsync(() => back.InvokeAsync("BeginVisit", appt, null));
        Assert.Equal(patientSeat, resumed.Str("participantId"));
        Assert.Equal("admitted", resumed.Str("state"));
        await seen;
        await AssertHasAllAsync(back, acknowledged);
        await back.InvokeAsync("SendSignal", visitId, nurseSeat, "restart", new { reason = "back" });
        await nurse.WaitForAsync("Signal", s => s.Str("fromParticipantId") == patientSeat && s.Str("kind") == "restart");
        return back;
    }

    /// <summary>
    /// A booked 1:1 visit in a call, with the nurse and the patient each on one of the two servers that do
    /// not run the visit's grain, and five acknowledged chat messages each way.
    /// </summary>
    private Task<(string Appt, string VisitId, string NurseSeat, int Host, int NurseServer, int PatientServer, HubClient Nurse, HubClient Patient, string PatientSeat, Dictionary<string, string> Acknowledged)> InACallAwayFromTheGrainAsync() =>
        InACallAsync(patientOnTheGrainsServer: false);

    /// <summary>The same, with the patient on the server running the visit's grain when <paramref name="patientOnTheGrainsServer"/>.</summary>
    private async Task<(string Appt, string VisitId, string NurseSeat, int Host, int NurseServer, int PatientServer, HubClient Nurse, HubClient Patient, string PatientSeat, Dictionary<string, string> Acknowledged)> InACallAsync(bool patientOnTheGrainsServer)
    {
        await fixture.EnsureAllRunningAsync();
        var appt = await BookAsync("patient-1");
        var opener = await Cluster[0].ConnectAsync("nurse-1");
        // The first call activates the visit and its slot: on a loaded machine that may outlast one call's timeout.
        var opened = await RetryAsync(() => opener.InvokeAsync("BeginVisit", appt, null));
        var visitId = opened.Str("visitId");
        var host = await GrainHostAsync(visitId);
        var nurseServer = Enumerable.Range(0, 3).First(i => i != host);
        var patientServer = patientOnTheGrainsServer ? host : Enumerable.Range(0, 3).First(i => i != host && i != nurseServer);
        var nurse = await MoveAsync(opener, nurseServer, "nurse-1", appt, opened.Str("participantId"));
        var patient = await Cluster[patientServer].ConnectAsync("patient-1");
        var patientSeat = await AdmittedAsync(nurse, patient, appt, visitId);
        var acknowledged = await ChatBothWaysAsync(nurse, patient, visitId, 5);
        return (appt, visitId, opened.Str("participantId"), host, nurseServer, patientServer, nurse, patient, patientSeat, acknowledged);
    }

    /// <summary>Books a video appointment (a group one with several patients) with nurse-1 starting in 5 minutes, through server 1's FHIR API.</summary>
    private async Task<string> BookAsync(params string[] patients)
    {
        var appt = "appt-" + Guid.NewGuid().ToString("N")[..10];
        using var token = await Cluster[0].Http.PostAsJsonAsync("/api/dev/token", new { clientId = "demo-ehr" });
        token.EnsureSuccessStatusCode();
        var bearer = (await token.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString();
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/fhir/Appointment/{appt}")
        {
            Content = new StringContent(Example.Appointment(appt, DateTimeOffset.UtcNow.AddMinutes(5), TimeSpan.FromMinutes(30), "nurse-1", "booked", patients), Encoding.UTF8),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/fhir+json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        using var response = await Cluster[0].Http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return appt;
    }

    /// <summary>Which server runs the visit's grain: the one that logged its activation last (VisitGrain logs it at Debug; the fixture turns that on).</summary>
    private async Task<int> GrainHostAsync(string visitId, int? exceptOn = null)
    {
        var deadline = DateTime.UtcNow + Failover;
        while (true)
        {
            for (var i = 0; i < 3; i++)
            {
                if (i != exceptOn && Cluster[i].IsRunning && Cluster[i].Output.Contains($"Visit {visitId} activated", StringComparison.Ordinal))
                {
                    return i;
                }
            }

            Assert.True(DateTime.UtcNow < deadline, $"no server logged the activation of {visitId}\n{Cluster.Describe()}");
            await Task.Delay(200);
        }
    }

    /// <summary>The nurse's seat taken over by a connection to <paramref name="server"/> (when the first one is elsewhere); the first connection then closes.</summary>
    private async Task<HubClient> MoveAsync(HubClient first, int server, string person, string appt, string seat)
    {
        var moved = await Cluster[server].ConnectAsync(person);
        var resumed = await moved.InvokeAsync("BeginVisit", appt, null);
        Assert.Equal(seat, resumed.Str("participantId"));
        await first.DisposeAsync();
        return moved;
    }

    private static async Task<string> AdmittedAsync(HubClient nurse, HubClient patient, string appt, string visitId)
    {
        var knocked = await patient.InvokeAsync("BeginVisit", appt, null);
        Assert.Equal(visitId, knocked.Str("visitId"));
        var seat = knocked.Str("participantId");
        await nurse.WaitForStateAsync(s => s.StateOf(seat) == "waiting");
        await nurse.InvokeAsync("Admit", visitId, seat);
        await patient.WaitForStateAsync(s => s.StateOf(seat) == "admitted");
        return seat;
    }

    /// <summary><paramref name="each"/> messages from each side, each acknowledged; returns client id → message id.</summary>
    private static async Task<Dictionary<string, string>> ChatBothWaysAsync(HubClient nurse, HubClient patient, string visitId, int each)
    {
        var acknowledged = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < each; i++)
        {
            foreach (var (client, who) in new[] { (nurse, "nurse"), (patient, "patient") })
            {
                var id = $"{who}-{i.ToString(CultureInfo.InvariantCulture)}";
                acknowledged[id] = (await client.InvokeAsync("SendChat", visitId, id, $"message {i} from the {who}")).Str("messageId");
            }
        }

        return acknowledged;
    }

    /// <summary>Waits <see cref="Failover"/> for a snapshot; on timeout says what the client last saw and what the servers printed.</summary>
    private async Task WaitOrDescribeAsync(HubClient client, Func<JsonElement, bool> match, string what)
    {
        try
        {
            await client.WaitForStateAsync(match, Failover);
        }
        catch (TimeoutException e)
        {
            var states = client.Events("VisitState");
            var last = states.Count > 0 ? states[^1].ToString() : "none";
            throw new TimeoutException($"Waited {Failover.TotalSeconds} s for {what}; last VisitState: {last}\n{Cluster.Describe(80)}", e);
        }
    }

    /// <summary>A <c>VisitState</c> newer than every one received so far that matches (a snapshot's version grows with every change).</summary>
    private static Task<JsonElement> NextStateAsync(HubClient client, Func<JsonElement, bool> match)
    {
        var seen = client.Events("VisitState").Select(s => s.GetProperty("version").GetInt64()).DefaultIfEmpty(-1).Max();
        return client.WaitForStateAsync(s => s.GetProperty("version").GetInt64() > seen && match(s));
    }

    /// <summary>
    /// Health data: what people said (chat, session descriptions) and the patient's name reach no server's
    /// log, not even around a dead or stopping server, when calls fail and Orleans and the hub log errors.
    /// The servers run at the shipped levels, with Orleans' membership and directory, and the visits'
    /// activations, turned up (see the fixture).
    /// </summary>
    private void AssertNoServerLogged(params string[] said)
    {
        foreach (var text in said.Append("Paula"))
        {
            var server = Cluster.Servers.FirstOrDefault(s => s.Output.Contains(text, StringComparison.Ordinal));
            Assert.True(server is null, $"{server?.Name} logged \"{text}\"\n{server?.Tail(40)}");
        }
    }

    private static async Task AssertHasAllAsync(HubClient client, IReadOnlyDictionary<string, string> acknowledged)
    {
        foreach (var (clientMessageId, messageId) in acknowledged)
        {
            var message = await client.WaitForAsync("ChatMessage", m => m.Str("clientMessageId") == clientMessageId, TimeSpan.FromSeconds(20));
            Assert.Equal(messageId, message.Str("messageId"));
        }
    }

    /// <summary>
    /// A hub call made again while the visit moves to another server (the web app does the same for about
    /// 30 s): the refusals on the way are "try again" answers, a timeout or a lost server; anything else fails.
    /// </summary>
    private Task<JsonElement> RetryAsync(Func<Task<JsonElement>> call) => HubClient.RetryAsync(call, Failover, () => Cluster.Describe());

    /// <summary>The class's three servers, on the collection's PostgreSQL and a Redis of their own.</summary>
    public sealed class ClusterFixture : IAsyncLifetime
    {
        private RedisInstance? _redis;

        public ServerCluster Cluster { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            _redis = await RedisInstance.StartAsync();
            Cluster = await ServerCluster.StartAsync(PostgresFixture.Current, _redis, 3, new Dictionary<string, string?>
            {
                // Where each visit's grain runs, for the tests that kill that server.
                ["Serilog:MinimumLevel:Override:VideoVisit.Server.Cluster.VisitGrain"] = "Debug",
                ["Visits:ReconnectGraceSeconds"] = "120",
                // Suspicions, votes and deaths, for a failure message when a killed server is not declared dead.
                ["Serilog:MinimumLevel:Override:Orleans.Runtime.MembershipService"] = "Information",
                // What the directory did about a dead server's registrations, and what the dead-server watcher did.
                ["Serilog:MinimumLevel:Override:Orleans.Runtime.GrainDirectory"] = "Information",
                ["Serilog:MinimumLevel:Override:VideoVisit.Server.Cluster.DeadServerWatcher"] = "Information",
            });
        }

        /// <summary>Starts again any server a failed test left dead, so one failure does not fail the others.</summary>
        public async Task EnsureAllRunningAsync()
        {
            foreach (var server in Cluster.Servers.Where(s => !s.IsRunning))
            {
                await server.StartAgainAsync();
            }
        }

        public async Task DisposeAsync()
        {
            await Cluster.DisposeAsync();
            if (_redis is not null)
            {
                await _redis.DisposeAsync();
            }
        }
    }
}
