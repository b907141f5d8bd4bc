using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;
using Serilog.Events;
using VideoVisit.Server.Data;
using VideoVisit.Server.Tests.Integration;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Tests.Hardening;

/// <summary>Removal, returning, the waiting order, limits and failures, on the real server with the official client.</summary>
public sealed class RulesOnTheServerTests
{
    [Fact]
    public async Task AfterPatientOneIsRemovedNoRepresentativeCanKnockOnTheirBehalfUntilLetBackIn()
    {
        await using var server = await VisitServer.StartAsync();
        await using var visit = await VisitScenario.StartAsync(server, admit: true);
        await visit.Nurse.InvokeAsync("Remove", visit.VisitId, visit.PatientId);
        await visit.Patient.WaitForAsync("Removed");

        await using var repFull = await server.ConnectAsync("rep-full");
        var refused = await repFull.InvokeExpectingErrorAsync("BeginVisit", "appt-1", "patient-1");
        var notTheirs = await repFull.InvokeExpectingErrorAsync("AllowBack", visit.VisitId, visit.PatientId);
        await visit.Nurse.InvokeAsync("AllowBack", visit.VisitId, visit.PatientId);
        var knocked = await repFull.InvokeAsync("BeginVisit", "appt-1", "patient-1");

        Assert.Contains("removed", refused, StringComparison.Ordinal);
        Assert.Contains("professional", notTheirs, StringComparison.Ordinal);
        Assert.Equal("waiting", knocked.Str("state"));
        var seen = await visit.Nurse.WaitForStateAsync(s => s.StateOf(knocked.Str("participantId")) == "waiting");
        Assert.Equal("left", seen.StateOf(visit.PatientId));
    }

    [Fact]
    public async Task ReturningSomeoneWhoIsReconnectingShowsThemWaitingToEveryoneAtOnce()
    {
        await using var server = await VisitServer.StartAsync(new Dictionary<string, string?> { ["Visits:ReconnectGraceSeconds"] = "30" });
        await using var visit = await VisitScenario.StartAsync(server, admit: true);
        visit.Patient.Abort();
        await visit.Nurse.WaitForStateAsync(s => s.StateOf(visit.PatientId) == "reconnecting");

        await visit.Nurse.InvokeAsync("ReturnToWaiting", visit.VisitId, visit.PatientId);
        var seen = await visit.Nurse.WaitForStateAsync(s => s.StateOf(visit.PatientId) == "waiting");
        await using var back = await server.ConnectAsync("patient-1");
        var resumed = await back.InvokeAsync("BeginVisit", "appt-1", null);

        Assert.Equal(1, seen.Participant(visit.PatientId)!.Value.GetProperty("placeInLine").GetInt32());
        Assert.Equal("waiting", resumed.Str("state"));
        Assert.Equal(visit.PatientId, resumed.Str("participantId"));
        var signal = await visit.Nurse.InvokeExpectingErrorAsync("SendSignal", visit.VisitId, visit.PatientId, "offer", new { sdp = "x" });
        Assert.Contains("not in the call", signal, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheWaitingOrderIsTheSameInTheHubForTheProfessionalAndForEachPatient()
    {
        await using var server = await VisitServer.StartAsync();
        await using var nurse = await server.ConnectAsync("nurse-1");
        await using var p1 = await server.ConnectAsync("patient-1");
        await using var p2 = await server.ConnectAsync("patient-2");
        var visitId = (await nurse.InvokeAsync("BeginVisit", "appt-group", null)).Str("visitId");
        var p1Id = (await p1.InvokeAsync("BeginVisit", "appt-group", null)).Str("participantId");
        var p2Id = (await p2.InvokeAsync("BeginVisit", "appt-group", null)).Str("participantId");
        await nurse.InvokeAsync("Admit", visitId, p1Id);
        await Task.Delay(1100);
        await nurse.InvokeAsync("ReturnToWaiting", visitId, p1Id);

        // The snapshot after the return: patient-1 waiting again, their wait counted from now (later than patient-2's).
        var forNurse = await nurse.WaitForStateAsync(s => s.StateOf(p1Id) == "waiting" && s.StateOf(p2Id) == "waiting"
            && s.Participant(p1Id)!.Value.GetProperty("waitingSince").GetDateTimeOffset() > s.Participant(p2Id)!.Value.GetProperty("waitingSince").GetDateTimeOffset());
        var version = forNurse.GetProperty("version").GetInt64();
        var forP1 = await p1.WaitForStateAsync(s => s.GetProperty("version").GetInt64() >= version);
        var forP2 = await p2.WaitForStateAsync(s => s.GetProperty("version").GetInt64() >= version);
        var waiting = forNurse.GetProperty("participants").EnumerateArray().Where(p => p.Str("state") == "waiting").ToList();

        Assert.Equal([p1Id, p2Id], waiting.Select(p => p.Str("participantId")));
        Assert.Equal([1, 2], waiting.Select(p => p.GetProperty("placeInLine").GetInt32()));
        Assert.Equal(1, forP1.GetProperty("placeInLine").GetInt32());
        Assert.Equal(2, forP2.GetProperty("placeInLine").GetInt32());
    }

    [Fact]
    public async Task ChatAndPrecheckFloodsAreRefusedAndTheConnectionCarriesOn()
    {
        await using var server = await VisitServer.StartAsync(new Dictionary<string, string?>
        {
            ["Visits:ChatBurst"] = "5",
            ["Visits:ChatPerSecond"] = "1",
            ["Visits:PrecheckBurst"] = "3",
            ["Visits:PrechecksPerMinute"] = "1",
        });
        await using var visit = await VisitScenario.StartAsync(server, admit: false);

        var chatRefused = 0;
        var precheckRefused = 0;
        for (var i = 0; i < 30; i++)
        {
            chatRefused += await RefusedAsync(() => visit.Patient.InvokeAsync("SendChat", visit.VisitId, "flood-" + i, "message " + i));
            precheckRefused += await RefusedAsync(() => visit.Patient.InvokeAsync("ReportPrecheck", visit.VisitId, new { state = "ready" }));
        }

        // 5 chat at once then about one a second; 3 prechecks then one a minute.
        Assert.InRange(chatRefused, 20, 25);
        Assert.Equal(27, precheckRefused);
        Assert.InRange(visit.Nurse.Events("ChatMessage").Count, 5, 10);
        Assert.False(visit.Patient.IsClosed);
        await Task.Delay(1200);
        await visit.Patient.InvokeAsync("SendChat", visit.VisitId, "later", "after a pause");
        await visit.Nurse.WaitForAsync("ChatMessage", m => m.Str("text") == "after a pause");
    }

    [Fact]
    public async Task AFailedFirstLoadOfAVisitIsAnErrorAndTheNextAttemptLoadsIt()
    {
        var flaky = new FailOnce();
        await using var server = await VisitServer.StartAsync(overrideServices: services =>
            services.AddSingleton<IVisitStore>(sp => flaky.Wrap(sp.GetRequiredService<EfVisitStore>())));
        await using var patient = await server.ConnectAsync("patient-1");

        var first = await patient.InvokeExpectingErrorAsync("BeginVisit", "appt-1", null);
        var second = await patient.InvokeAsync("BeginVisit", "appt-1", null);

        Assert.Contains("try again", first, StringComparison.Ordinal);
        Assert.Equal("waiting", second.Str("state"));
        Assert.Equal(2, flaky.Loads);
    }

    [Fact]
    public async Task RefusedHubCallsAreOneLineAtDebugAndNeverAnError()
    {
        var sink = new CollectingSink();
        await using var server = await VisitServer.StartAsync(
            new Dictionary<string, string?> { ["Serilog:MinimumLevel:Default"] = "Debug", ["Serilog:MinimumLevel:Override:Microsoft"] = "Debug" },
            overrideServices: services => services.AddSingleton<ILogEventSink>(sink));
        await using var visit = await VisitScenario.StartAsync(server, admit: false);

        for (var i = 0; i < 20; i++)
        {
            await visit.Patient.InvokeExpectingErrorAsync("SendSignal", visit.VisitId, visit.NurseId, "offer", new { sdp = "x" });
        }

        Assert.NotEmpty(sink.Events);
        var refusals = sink.Events.Where(e => e.Properties.TryGetValue("EventId", out var id) && id.ToString().Contains("HubCallRefused", StringComparison.Ordinal)).ToList();
        Assert.Equal(20, refusals.Count);
        Assert.All(refusals, e => Assert.Equal(LogEventLevel.Debug, e.Level));
        Assert.All(refusals, e => Assert.Null(e.Exception));
        Assert.DoesNotContain(sink.Events, e => e.Level >= LogEventLevel.Error);
        // The request log (Serilog.AspNetCore) reaches the same sink, without the query string.
        Assert.Contains(sink.Events, e => e.Properties.TryGetValue("RequestPath", out var path) && path.ToString() == "\"/api/dev/token\"");
        Assert.DoesNotContain(sink.Events, e => e.RenderMessage(System.Globalization.CultureInfo.InvariantCulture).Contains("access_token", StringComparison.Ordinal));
    }

    private static async Task<int> RefusedAsync(Func<Task> call)
    {
        try
        {
            await call();
            return 0;
        }
        catch (HubCallFailedException ex) when (ex.Message.Contains("Too many", StringComparison.Ordinal))
        {
            return 1;
        }
    }

    /// <summary>The real store, whose first visit read fails as a database busy for a moment would.</summary>
    private sealed class FailOnce
    {
        private int _loads;

        public int Loads => _loads;

        public IVisitStore Wrap(IVisitStore store) => new Store(store, this);

        private sealed class Store(IVisitStore inner, FailOnce owner) : IVisitStore
        {
            public StoredVisit? FindVisit(string appointmentId, DateTimeOffset appointmentStart) =>
                Interlocked.Increment(ref owner._loads) == 1
                    ? throw new IOException("database is locked (injected)")
                    : inner.FindVisit(appointmentId, appointmentStart);

            public Task SaveVisit(string visitId, Appointment appointment, VisitStatus status, DateTimeOffset at) => inner.SaveVisit(visitId, appointment, status, at);

            public Task AppendEvent(VisitEvent visitEvent) => inner.AppendEvent(visitEvent);

            public Task SaveChat(StoredChat chat) => inner.SaveChat(chat);

            public Task SavePrecheck(string visitId, string participantId, string personId, PrecheckSummary summary, string reportJson) =>
                inner.SavePrecheck(visitId, participantId, personId, summary, reportJson);

            public VisitStatus? FindStatus(string appointmentId, DateTimeOffset appointmentStart) => inner.FindStatus(appointmentId, appointmentStart);

            public Task SaveSeats(string visitId, IReadOnlyList<StoredSeat> seats, long version) => inner.SaveSeats(visitId, seats, version);

            public (string AppointmentId, DateTimeOffset AppointmentStart, StoredVisit Visit)? FindVisitById(string visitId) => inner.FindVisitById(visitId);

            public Task FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);
        }
    }

    private sealed class CollectingSink : ILogEventSink
    {
        private readonly List<LogEvent> _events = [];

        public IReadOnlyList<LogEvent> Events
        {
            get
            {
                lock (_events)
                {
                    return [.. _events];
                }
            }
        }

        public void Emit(LogEvent logEvent)
        {
            lock (_events)
            {
                _events.Add(logEvent);
            }
        }
    }
}
