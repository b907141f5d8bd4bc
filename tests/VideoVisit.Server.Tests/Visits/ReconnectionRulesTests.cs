using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Tests.Visits;

public sealed class ReconnectionRulesTests
{
    private readonly World _w = new();

    [Fact]
    public async Task ADroppedConnectionKeepsTheSeatAsReconnecting()
    {
        var (patient, nurse) = await _w.AdmittedAsync().WaitAsync(World.Timeout);

        await _w.Service.DisconnectedAsync("conn-patient-1").WaitAsync(World.Timeout);

        Assert.Equal(ParticipantState.Reconnecting, _w.StateOf(nurse.VisitId, patient.ParticipantId));
        Assert.Equal("reconnecting", _w.Notifier.LastState("conn-nurse-1").Participants.Single(p => p.ParticipantId == patient.ParticipantId).State);
    }

    [Fact]
    public async Task ReconnectingInsideTheGraceResumesAdmittedWithoutKnocking()
    {
        var (patient, nurse) = await _w.AdmittedAsync().WaitAsync(World.Timeout);
        await _w.Service.DisconnectedAsync("conn-patient-1").WaitAsync(World.Timeout);
        _w.Time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(0, await _w.Service.SweepGraceAsync().WaitAsync(World.Timeout));

        var resumed = await _w.Begin("patient-1", connection: "conn-patient-1b").WaitAsync(World.Timeout);

        Assert.Equal("admitted", resumed.State);
        Assert.Equal(patient.ParticipantId, resumed.ParticipantId);
        Assert.DoesNotContain(_w.Store.Events, e => e.Kind == "knocked" && e.At > World.Start - TimeSpan.FromMinutes(5));
        Assert.Contains(_w.Store.Events, e => e.Kind == "resumed");
    }

    [Fact]
    public async Task AWaitingPersonResumesWaitingInTheirPlace()
    {
        var p1 = await _w.Begin("patient-1", "appt-group").WaitAsync(World.Timeout);
        await _w.Begin("patient-2", "appt-group").WaitAsync(World.Timeout);
        await _w.Service.DisconnectedAsync("conn-patient-1").WaitAsync(World.Timeout);

        var resumed = await _w.Begin("patient-1", "appt-group", connection: "conn-patient-1b").WaitAsync(World.Timeout);

        Assert.Equal("waiting", resumed.State);
        Assert.Equal(1, _w.Notifier.LastState("conn-patient-1b").PlaceInLine);
        Assert.Equal(p1.ParticipantId, resumed.ParticipantId);
    }

    [Fact]
    public async Task AfterTheGraceTheSeatIsReleasedAndOthersAreTold()
    {
        var (patient, nurse) = await _w.AdmittedAsync().WaitAsync(World.Timeout);
        await _w.Service.DisconnectedAsync("conn-patient-1").WaitAsync(World.Timeout);
        _w.Time.Advance(TimeSpan.FromSeconds(60));

        Assert.Equal(1, await _w.Service.SweepGraceAsync().WaitAsync(World.Timeout));

        Assert.Equal(ParticipantState.Left, _w.StateOf(nurse.VisitId, patient.ParticipantId));
        Assert.Equal("left", _w.Notifier.LastState("conn-nurse-1").Participants.Single(p => p.ParticipantId == patient.ParticipantId).State);
        Assert.Equal("waiting", (await _w.Begin("patient-1", connection: "conn-patient-1b").WaitAsync(World.Timeout)).State);
    }

    [Fact]
    public async Task TheGraceIsConfigurable()
    {
        var w = new World(new VisitOptions { ReconnectGraceSeconds = 5 });
        var nurse = await w.Begin("nurse-1").WaitAsync(World.Timeout);
        await w.Service.DisconnectedAsync("conn-nurse-1").WaitAsync(World.Timeout);
        w.Time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(1, await w.Service.SweepGraceAsync().WaitAsync(World.Timeout));
        Assert.Equal(ParticipantState.Left, w.StateOf(nurse.VisitId, nurse.ParticipantId));
    }

    [Fact]
    public async Task ASecondDeviceTakesTheSeatAndTheOlderConnectionIsToldWhy()
    {
        var (patient, nurse) = await _w.AdmittedAsync().WaitAsync(World.Timeout);

        var phone = await _w.Begin("patient-1", connection: "conn-phone").WaitAsync(World.Timeout);

        Assert.Equal(patient.ParticipantId, phone.ParticipantId);
        Assert.Equal("admitted", phone.State);
        Assert.Equal("replaced", Assert.Single(_w.Notifier.To<RemovedMessage>("conn-patient-1")).Reason);
        // The old connection closing later does not disturb the seat.
        await _w.Service.DisconnectedAsync("conn-patient-1").WaitAsync(World.Timeout);
        Assert.Equal(ParticipantState.Admitted, _w.StateOf(nurse.VisitId, patient.ParticipantId));
        await Assert.ThrowsAsync<VisitException>(() => _w.Service.SendChatAsync("patient-1", "conn-patient-1", nurse.VisitId, "x", "old tab")).WaitAsync(World.Timeout);
    }

    [Fact]
    public async Task ReturningSomeoneWhoIsReconnectingSendsThemBackToWaitingWhenTheyResume()
    {
        var (patient, nurse) = await _w.AdmittedAsync().WaitAsync(World.Timeout);
        await _w.Service.DisconnectedAsync("conn-patient-1").WaitAsync(World.Timeout);

        await _w.Service.ReturnToWaitingAsync("nurse-1", "conn-nurse-1", nurse.VisitId, patient.ParticipantId).WaitAsync(World.Timeout);
        var shownToNurse = _w.Notifier.LastState("conn-nurse-1").Participants.Single(p => p.ParticipantId == patient.ParticipantId);
        var resumed = await _w.Begin("patient-1", connection: "conn-patient-1b").WaitAsync(World.Timeout);

        Assert.Equal("waiting", shownToNurse.State);
        Assert.Equal(1, shownToNurse.PlaceInLine);
        Assert.Equal("waiting", resumed.State);
        Assert.Equal(1, _w.Notifier.LastState("conn-patient-1b").PlaceInLine);
    }

    [Fact]
    public async Task ASeatReturnedToWaitingWhileReconnectingIsStillReleasedWhenTheGraceRunsOut()
    {
        var (patient, nurse) = await _w.AdmittedAsync().WaitAsync(World.Timeout);
        await _w.Service.DisconnectedAsync("conn-patient-1").WaitAsync(World.Timeout);
        await _w.Service.ReturnToWaitingAsync("nurse-1", "conn-nurse-1", nurse.VisitId, patient.ParticipantId).WaitAsync(World.Timeout);

        _w.Time.Advance(_w.Options.ReconnectGrace + TimeSpan.FromSeconds(1));
        var released = await _w.Service.SweepGraceAsync().WaitAsync(World.Timeout);

        Assert.Equal(1, released);
        Assert.Equal(ParticipantState.Left, _w.StateOf(nurse.VisitId, patient.ParticipantId));
    }

    [Fact]
    public async Task OneConnectionCannotHoldTwoSeatsInTheSameVisit()
    {
        await _w.Begin("patient-2", "appt-group", connection: "conn-shared").WaitAsync(World.Timeout);

        var refused = await Assert.ThrowsAsync<VisitException>(() => _w.Begin("patient-2", "appt-group", "patient-3", connection: "conn-shared")).WaitAsync(World.Timeout);
        var otherWindow = await _w.Begin("patient-2", "appt-group", "patient-3", connection: "conn-other").WaitAsync(World.Timeout);

        Assert.Equal(VisitError.WrongState, refused.Error);
        Assert.Equal("representative", _w.Notifier.LastState("conn-other").Participants.Single(p => p.ParticipantId == otherWindow.ParticipantId).Role);
    }

    /// <summary>
    /// A window that left its visit and then closes holds no seat there: the visit is not called (in a
    /// cluster that call would wake the visit's grain from the store only to find nothing to do). One
    /// that closes without leaving still starts its seat's grace.
    /// </summary>
    [Fact]
    public async Task AConnectionThatLeftItsVisitDoesNotCallOnItWhenItCloses()
    {
        var visits = new CountingVisits(new LocalVisits(_w, _w.Store, _w.Notifier, _w.Options, _w.Time));
        var service = new VisitService(_w, _w.Store, _w.Notifier, visits, _w.Options, _w.Time);
        var patient = await service.BeginVisitAsync("patient-1", "conn-patient-1", "appt-1", null).WaitAsync(World.Timeout);
        var nurse = await service.BeginVisitAsync("nurse-1", "conn-nurse-1", "appt-1", null).WaitAsync(World.Timeout);
        await service.AdmitAsync("nurse-1", "conn-nurse-1", nurse.VisitId, patient.ParticipantId).WaitAsync(World.Timeout);

        await service.LeaveVisitAsync("patient-1", "conn-patient-1", patient.VisitId).WaitAsync(World.Timeout);
        var before = visits.Calls;
        await service.DisconnectedAsync("conn-patient-1").WaitAsync(World.Timeout);
        Assert.Equal(before, visits.Calls);

        await service.DisconnectedAsync("conn-nurse-1").WaitAsync(World.Timeout);
        Assert.Equal(before + 1, visits.Calls);
        Assert.Contains(_w.Store.Events, e => e.Kind == "connection-lost" && e.ParticipantId == nurse.ParticipantId);
    }

    /// <summary>
    /// A window in two visits closes and one of them cannot be reached: the other still starts the seat's
    /// grace, and the failure is not swallowed. Both orders, since the visits are told in no fixed order.
    /// </summary>
    [Theory]
    [InlineData("appt-1")]
    [InlineData("appt-group")]
    public async Task AClosedConnectionTellsEveryVisitItWasInEvenWhenOneCannotBeReached(string unreachable)
    {
        var visits = new UnreachableVisit(new LocalVisits(_w, _w.Store, _w.Notifier, _w.Options, _w.Time));
        var service = new VisitService(_w, _w.Store, _w.Notifier, visits, _w.Options, _w.Time);
        var seats = new Dictionary<string, BeginVisitResult>
        {
            ["appt-1"] = await service.BeginVisitAsync("nurse-1", "conn-nurse-1", "appt-1", null).WaitAsync(World.Timeout),
            ["appt-group"] = await service.BeginVisitAsync("nurse-1", "conn-nurse-1", "appt-group", null).WaitAsync(World.Timeout),
        };
        visits.VisitId = seats[unreachable].VisitId;

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => service.DisconnectedAsync("conn-nurse-1").WaitAsync(World.Timeout));

        Assert.Equal("unreachable", thrown.Message);
        var reached = seats.Single(s => s.Key != unreachable).Value;
        Assert.Contains(_w.Store.Events, e => e.Kind == "connection-lost" && e.VisitId == reached.VisitId && e.ParticipantId == reached.ParticipantId);
        Assert.DoesNotContain(_w.Store.Events, e => e.Kind == "connection-lost" && e.VisitId == visits.VisitId);
    }

    /// <summary>The visits of <see cref="LocalVisits"/>, one of which (<see cref="VisitId"/>) cannot be told of a closed connection.</summary>
    private sealed class UnreachableVisit(LocalVisits inner) : IVisitDirectory
    {
        public string VisitId { get; set; } = "";

        public string? Server => inner.Server;

        public Task<string> OpenAsync(Appointment appointment) => inner.OpenAsync(appointment);

        public Task<string?> FindAsync(Appointment appointment) => inner.FindAsync(appointment);

        public VisitStatus? StatusOf(Appointment appointment) => inner.StatusOf(appointment);

        public IVisit Visit(string visitId) =>
            visitId == VisitId ? FlakyDisconnects.Around(inner.Visit(visitId), int.MaxValue, () => new InvalidOperationException("unreachable")).Visit : inner.Visit(visitId);
    }

    /// <summary>The visits of <see cref="LocalVisits"/>, counting how often one is looked up to be called.</summary>
    private sealed class CountingVisits(LocalVisits inner) : IVisitDirectory
    {
        private int _calls;

        public int Calls => _calls;

        public string? Server => inner.Server;

        public Task<string> OpenAsync(Appointment appointment) => inner.OpenAsync(appointment);

        public Task<string?> FindAsync(Appointment appointment) => inner.FindAsync(appointment);

        public VisitStatus? StatusOf(Appointment appointment) => inner.StatusOf(appointment);

        public IVisit Visit(string visitId)
        {
            Interlocked.Increment(ref _calls);
            return inner.Visit(visitId);
        }
    }
}

public sealed class FinishedVisitTests
{
    [Fact]
    public async Task AnEndedVisitLeavesMemoryOnceNobodyIsInIt()
    {
        var w = new World();
        var nurse = await w.Begin("nurse-1").WaitAsync(World.Timeout);
        Assert.Equal(0, await w.Service.EvictFinishedAsync().WaitAsync(World.Timeout));

        await w.Service.EndVisitAsync("nurse-1", "conn-nurse-1", nurse.VisitId).WaitAsync(World.Timeout);

        Assert.Equal(1, await w.Service.EvictFinishedAsync().WaitAsync(World.Timeout));
        Assert.Null(w.Service.FindRoom(nurse.VisitId));
    }

    [Fact]
    public async Task AVisitWhoseWindowClosedLeavesMemoryOnlyWhenNobodyHoldsASeat()
    {
        var w = new World();
        var nurse = await w.Begin("nurse-1").WaitAsync(World.Timeout);
        w.Time.Now = World.Start + TimeSpan.FromHours(2);

        Assert.Equal(0, await w.Service.EvictFinishedAsync().WaitAsync(World.Timeout));
        await w.Service.LeaveVisitAsync("nurse-1", "conn-nurse-1", nurse.VisitId).WaitAsync(World.Timeout);

        Assert.Equal(1, await w.Service.EvictFinishedAsync().WaitAsync(World.Timeout));
        var late = await Assert.ThrowsAsync<VisitException>(() => w.Begin("nurse-1")).WaitAsync(World.Timeout);
        Assert.Equal(VisitError.OutsideWindow, late.Error);
    }
}
