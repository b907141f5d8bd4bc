using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Tests.Visits;

public sealed class VisitLifecycleTests
{
    private readonly World _w = new();

    private static Task<VisitException> Refused(Func<Task> call) => Assert.ThrowsAsync<VisitException>(call);

    [Fact]
    public async Task PatientWhoBeginsFirstWaitsInAVisitNotYetOpened()
    {
        var knocked = await _w.Begin("patient-1").WaitAsync(World.Timeout);

        Assert.Equal("waiting", knocked.State);
        var state = _w.Notifier.LastState("conn-patient-1");
        Assert.Equal("not-opened", state.State);
        Assert.False(state.ProfessionalPresent);
        Assert.Equal(1, state.PlaceInLine);
        Assert.Equal(knocked.ParticipantId, state.YourParticipantId);
    }

    [Fact]
    public async Task ProfessionalOpensTheVisitAndIsAdmittedAtOnce()
    {
        var patient = await _w.Begin("patient-1").WaitAsync(World.Timeout);
        var nurse = await _w.Begin("nurse-1").WaitAsync(World.Timeout);

        Assert.Equal("admitted", nurse.State);
        Assert.Equal(patient.VisitId, nurse.VisitId);
        Assert.Equal(VisitStatus.Open, _w.Room(nurse.VisitId).Status);
        Assert.True(_w.Notifier.LastState("conn-patient-1").ProfessionalPresent);
        Assert.Contains(_w.Store.Events, e => e.Kind == "opened" && e.ActorId == "nurse-1");
    }

    [Fact]
    public async Task AdmitMovesSomeoneWaitingIntoTheVisit()
    {
        var patient = await _w.Begin("patient-1").WaitAsync(World.Timeout);
        var nurse = await _w.Begin("nurse-1").WaitAsync(World.Timeout);

        await _w.Service.AdmitAsync("nurse-1", "conn-nurse-1", nurse.VisitId, patient.ParticipantId).WaitAsync(World.Timeout);

        Assert.Equal(ParticipantState.Admitted, _w.StateOf(nurse.VisitId, patient.ParticipantId));
        Assert.Null(_w.Notifier.LastState("conn-patient-1").PlaceInLine);
        var again = await Refused(() => _w.Service.AdmitAsync("nurse-1", "conn-nurse-1", nurse.VisitId, patient.ParticipantId)).WaitAsync(World.Timeout);
        Assert.Equal(VisitError.WrongState, again.Error);
    }

    [Fact]
    public async Task WaitingRoomKeepsArrivalOrderAndAdmitAllAdmitsEveryone()
    {
        var w = new World(new VisitOptions());
        var p3 = await w.Begin("patient-3", "appt-group").WaitAsync(World.Timeout);
        w.Time.Advance(TimeSpan.FromSeconds(30));
        var p1 = await w.Begin("patient-1", "appt-group").WaitAsync(World.Timeout);
        var nurse = await w.Begin("nurse-1", "appt-group").WaitAsync(World.Timeout);
        w.Time.Advance(TimeSpan.FromSeconds(10));
        await w.Begin("nurse-1", "appt-group").WaitAsync(World.Timeout); // a repeated begin on the same connection changes nothing but refreshes the view

        Assert.Equal(2, w.Notifier.LastState("conn-patient-1").PlaceInLine);
        Assert.Equal(1, w.Notifier.LastState("conn-patient-3").PlaceInLine);
        var console = w.Notifier.LastState("conn-nurse-1");
        Assert.Equal(40, console.Participants.Single(p => p.ParticipantId == p3.ParticipantId).WaitSeconds);
        Assert.Equal(10, console.Participants.Single(p => p.ParticipantId == p1.ParticipantId).WaitSeconds);

        await w.Service.AdmitAllAsync("nurse-1", "conn-nurse-1", nurse.VisitId).WaitAsync(World.Timeout);

        Assert.All(w.Room(nurse.VisitId).Participants, p => Assert.Equal(ParticipantState.Admitted, p.State));
        Assert.Equal(
            [p3.ParticipantId, p1.ParticipantId],
            w.Store.Events.Where(e => e.Kind == "admitted").Select(e => e.TargetParticipantId));
    }

    [Fact]
    public async Task ReturnedToWaitingKeepsTheirOriginalPlaceInLine()
    {
        var w = new World(new VisitOptions());
        var p1 = await w.Begin("patient-1", "appt-group").WaitAsync(World.Timeout);
        var p2 = await w.Begin("patient-2", "appt-group").WaitAsync(World.Timeout);
        var nurse = await w.Begin("nurse-1", "appt-group").WaitAsync(World.Timeout);
        await w.Service.AdmitAsync("nurse-1", "conn-nurse-1", nurse.VisitId, p1.ParticipantId).WaitAsync(World.Timeout);

        await w.Service.ReturnToWaitingAsync("nurse-1", "conn-nurse-1", nurse.VisitId, p1.ParticipantId).WaitAsync(World.Timeout);

        Assert.Equal(ParticipantState.Waiting, w.StateOf(nurse.VisitId, p1.ParticipantId));
        Assert.Equal(1, w.Notifier.LastState("conn-patient-1").PlaceInLine);
        Assert.Equal(2, w.Notifier.LastState("conn-patient-2").PlaceInLine);
        var notAdmitted = await Refused(() => w.Service.ReturnToWaitingAsync("nurse-1", "conn-nurse-1", nurse.VisitId, p2.ParticipantId)).WaitAsync(World.Timeout);
        Assert.Equal(VisitError.WrongState, notAdmitted.Error);
    }

    [Fact]
    public async Task RemovalCoversThePatientsPlaceWhoeverActsForThem()
    {
        var patient = await _w.Begin("patient-1").WaitAsync(World.Timeout);
        var nurse = await _w.Begin("nurse-1").WaitAsync(World.Timeout);

        await _w.Service.RemoveAsync("nurse-1", "conn-nurse-1", nurse.VisitId, patient.ParticipantId).WaitAsync(World.Timeout);

        var repFull = await Refused(() => _w.Begin("rep-full", onBehalfOf: "patient-1")).WaitAsync(World.Timeout);
        var repAppt = await Refused(() => _w.Begin("rep-appt", onBehalfOf: "patient-1")).WaitAsync(World.Timeout);
        Assert.Equal(VisitError.RemovedFromVisit, repFull.Error);
        Assert.Equal(VisitError.RemovedFromVisit, repAppt.Error);
    }

    [Fact]
    public async Task RemovingARepresentativeRemovesThePlaceTheyHeldAndAllowBackGivesItBack()
    {
        var rep = await _w.Begin("rep-full", onBehalfOf: "patient-1").WaitAsync(World.Timeout);
        var nurse = await _w.Begin("nurse-1").WaitAsync(World.Timeout);
        await _w.Service.RemoveAsync("nurse-1", "conn-nurse-1", nurse.VisitId, rep.ParticipantId).WaitAsync(World.Timeout);

        var patientRefused = await Refused(() => _w.Begin("patient-1")).WaitAsync(World.Timeout);
        var notByPatient = await Refused(() => _w.Service.AllowBackAsync("patient-1", "conn-patient-1", nurse.VisitId, rep.ParticipantId)).WaitAsync(World.Timeout);
        await _w.Service.AllowBackAsync("nurse-1", "conn-nurse-1", nurse.VisitId, rep.ParticipantId).WaitAsync(World.Timeout);
        var patientBack = await _w.Begin("patient-1", connection: "conn-patient-1b").WaitAsync(World.Timeout);
        var repBack = await _w.Begin("rep-full", onBehalfOf: "patient-1", connection: "conn-rep-b").WaitAsync(World.Timeout);

        Assert.Equal(VisitError.RemovedFromVisit, patientRefused.Error);
        Assert.Equal(VisitError.Forbidden, notByPatient.Error);
        Assert.Equal("waiting", patientBack.State);
        Assert.Equal("waiting", repBack.State);
        Assert.Contains(_w.Store.Events, e => e.Kind == "allowed-back" && e.Detail == "patient-1");
    }

    [Fact]
    public async Task TheWaitingLineIsByArrivalAndAReturnedPatientKeepsTheirPlaceEverywhere()
    {
        var p1 = await _w.Begin("patient-1", "appt-group").WaitAsync(World.Timeout);
        var p2 = await _w.Begin("patient-2", "appt-group").WaitAsync(World.Timeout);
        var nurse = await _w.Begin("nurse-1", "appt-group").WaitAsync(World.Timeout);
        await _w.Service.AdmitAsync("nurse-1", "conn-nurse-1", nurse.VisitId, p1.ParticipantId).WaitAsync(World.Timeout);
        _w.Time.Advance(TimeSpan.FromMinutes(2));

        await _w.Service.ReturnToWaitingAsync("nurse-1", "conn-nurse-1", nurse.VisitId, p1.ParticipantId).WaitAsync(World.Timeout);

        var seenByNurse = _w.Notifier.LastState("conn-nurse-1").Participants.Where(p => p.State == "waiting").ToList();
        // patient-1 has waited less this time (waitingSince is later), but arrived first.
        Assert.Equal([p1.ParticipantId, p2.ParticipantId], seenByNurse.Select(p => p.ParticipantId));
        Assert.Equal([1, 2], seenByNurse.Select(p => p.PlaceInLine!.Value));
        Assert.True(seenByNurse[0].WaitingSince > seenByNurse[1].WaitingSince);
        Assert.Equal(1, _w.Notifier.LastState("conn-patient-1").PlaceInLine);
        Assert.Equal(2, _w.Notifier.LastState("conn-patient-2").PlaceInLine);
    }

    [Fact]
    public async Task RemovedPersonIsToldAndCannotComeBackFromAnyDevice()
    {
        var patient = await _w.Begin("patient-1").WaitAsync(World.Timeout);
        var nurse = await _w.Begin("nurse-1").WaitAsync(World.Timeout);

        await _w.Service.RemoveAsync("nurse-1", "conn-nurse-1", nurse.VisitId, patient.ParticipantId).WaitAsync(World.Timeout);

        Assert.Equal(ParticipantState.Removed, _w.StateOf(nurse.VisitId, patient.ParticipantId));
        Assert.Equal("removed", Assert.Single(_w.Notifier.To<RemovedMessage>("conn-patient-1")).Reason);
        var back = await Refused(() => _w.Begin("patient-1", connection: "another-device")).WaitAsync(World.Timeout);
        Assert.Equal(VisitError.RemovedFromVisit, back.Error);
        var twice = await Refused(() => _w.Service.RemoveAsync("nurse-1", "conn-nurse-1", nurse.VisitId, patient.ParticipantId)).WaitAsync(World.Timeout);
        Assert.Equal(VisitError.WrongState, twice.Error);
    }

    [Fact]
    public async Task EndingTheVisitMakesEveryoneLeaveAndNoOneCanEnterAgain()
    {
        var patient = await _w.Begin("patient-1").WaitAsync(World.Timeout);
        var nurse = await _w.Begin("nurse-1").WaitAsync(World.Timeout);
        await _w.Service.AdmitAsync("nurse-1", "conn-nurse-1", nurse.VisitId, patient.ParticipantId).WaitAsync(World.Timeout);

        await _w.Service.EndVisitAsync("nurse-1", "conn-nurse-1", nurse.VisitId).WaitAsync(World.Timeout);

        Assert.Equal(VisitStatus.Ended, _w.Room(nurse.VisitId).Status);
        Assert.All(_w.Room(nurse.VisitId).Participants, p => Assert.Equal(ParticipantState.Left, p.State));
        Assert.Single(_w.Notifier.To<VisitEndedMessage>("conn-patient-1"));
        Assert.Single(_w.Notifier.To<VisitEndedMessage>("conn-nurse-1"));
        Assert.Equal(VisitError.Ended, (await Refused(() => _w.Begin("patient-1")).WaitAsync(World.Timeout)).Error);
        Assert.Equal(VisitError.Ended, (await Refused(() => _w.Begin("nurse-1")).WaitAsync(World.Timeout)).Error);
        Assert.Equal(VisitStatus.Ended, _w.Store.Visits[nurse.VisitId]);
    }

    [Fact]
    public async Task LeavingGivesUpTheSeatAndComingBackMeansKnockingAgain()
    {
        var patient = await _w.Begin("patient-1").WaitAsync(World.Timeout);
        var nurse = await _w.Begin("nurse-1").WaitAsync(World.Timeout);
        await _w.Service.AdmitAsync("nurse-1", "conn-nurse-1", nurse.VisitId, patient.ParticipantId).WaitAsync(World.Timeout);

        await _w.Service.LeaveVisitAsync("patient-1", "conn-patient-1", nurse.VisitId).WaitAsync(World.Timeout);
        Assert.Equal(ParticipantState.Left, _w.StateOf(nurse.VisitId, patient.ParticipantId));
        var again = await _w.Begin("patient-1").WaitAsync(World.Timeout);

        Assert.Equal("waiting", again.State);
        Assert.Equal(patient.ParticipantId, again.ParticipantId);
    }

    [Fact]
    public async Task OnlyTheVisitsProfessionalMayAdmitReturnRemoveOrEnd()
    {
        var patient = await _w.Begin("patient-1").WaitAsync(World.Timeout);
        var rep = await _w.Begin("rep-full", onBehalfOf: "patient-1").WaitAsync(World.Timeout);
        var nurse = await _w.Begin("nurse-1").WaitAsync(World.Timeout);
        var calls = new Func<string, string, Task>[]
        {
            (who, conn) => _w.Service.AdmitAsync(who, conn, nurse.VisitId, rep.ParticipantId),
            (who, conn) => _w.Service.AdmitAllAsync(who, conn, nurse.VisitId),
            (who, conn) => _w.Service.ReturnToWaitingAsync(who, conn, nurse.VisitId, rep.ParticipantId),
            (who, conn) => _w.Service.RemoveAsync(who, conn, nurse.VisitId, rep.ParticipantId),
            (who, conn) => _w.Service.EndVisitAsync(who, conn, nurse.VisitId),
        };

        foreach (var call in calls)
        {
            Assert.Equal(VisitError.Forbidden, (await Refused(() => call("patient-1", "conn-patient-1")).WaitAsync(World.Timeout)).Error);
            Assert.Equal(VisitError.Forbidden, (await Refused(() => call("doctor-2", "conn-doctor-2")).WaitAsync(World.Timeout)).Error);
            // A professional of the unit who has not begun the visit is not in it.
            Assert.Equal(VisitError.Forbidden, (await Refused(() => call("nurse-3", "conn-nurse-3")).WaitAsync(World.Timeout)).Error);
        }

        Assert.Equal(VisitError.Forbidden, (await Refused(() => _w.Service.RemoveAsync("nurse-1", "conn-nurse-1", nurse.VisitId, nurse.ParticipantId)).WaitAsync(World.Timeout)).Error);
        Assert.Equal(ParticipantState.Waiting, _w.StateOf(nurse.VisitId, patient.ParticipantId));
    }

    [Fact]
    public async Task AVisitIsFullWhenItsSeatsForPatientsAreTaken()
    {
        await _w.Begin("patient-1").WaitAsync(World.Timeout);
        await _w.Begin("rep-full", onBehalfOf: "patient-1").WaitAsync(World.Timeout);

        var third = await Refused(() => _w.Begin("rep-appt", onBehalfOf: "patient-1")).WaitAsync(World.Timeout);
        var nurse = await _w.Begin("nurse-1").WaitAsync(World.Timeout);

        Assert.Equal(VisitError.Full, third.Error);
        Assert.Equal("admitted", nurse.State);
    }

    [Fact]
    public async Task RepresentativeJoinsOnBehalfAndEveryoneSeesForWhom()
    {
        var rep = await _w.Begin("rep-appt", onBehalfOf: "patient-1").WaitAsync(World.Timeout);
        var nurse = await _w.Begin("nurse-1").WaitAsync(World.Timeout);
        await _w.Service.AdmitAsync("nurse-1", "conn-nurse-1", nurse.VisitId, rep.ParticipantId).WaitAsync(World.Timeout);

        var seen = _w.Notifier.LastState("conn-nurse-1").Participants.Single(p => p.ParticipantId == rep.ParticipantId);
        Assert.Equal("representative", seen.Role);
        Assert.Equal("patient-1", seen.OnBehalfOf!.Id);
        var own = _w.Notifier.LastState("conn-rep-appt").Participants.Single(p => p.ParticipantId == rep.ParticipantId);
        Assert.Equal("patient-1", own.OnBehalfOf!.Id);
        Assert.Contains(_w.Store.Events, e => e.Kind == "knocked" && e.ActorId == "rep-appt" && e.OnBehalfOfId == "patient-1");
    }

    [Theory]
    [InlineData("rep-read", "appt-1", "patient-1", "view this appointment but not")]
    [InlineData("guardian-2", "appt-child", "child-1", "not yours")]
    [InlineData("patient-2", "appt-1", null, "not yours")]
    [InlineData("rep-full", "appt-2", "patient-1", "not yours")]
    [InlineData("doctor-2", "appt-1", null, "another unit")]
    [InlineData("nurse-1", "appt-1", "patient-1", "as themselves")]
    [InlineData("nobody", "appt-1", null, "not known")]
    [InlineData("patient-1", "appt-404", null, "no such appointment")]
    public async Task BeginVisitIsRefusedWithAReason(string person, string appointment, string? onBehalfOf, string reason)
    {
        var refused = await Refused(() => _w.Begin(person, appointment, onBehalfOf)).WaitAsync(World.Timeout);

        Assert.Contains(reason, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GuardianWithTheMarkingBeginsTheChildsVisitAsGuardian()
    {
        var guardian = await _w.Begin("guardian-1", "appt-child", "child-1").WaitAsync(World.Timeout);
        await _w.Begin("nurse-1", "appt-child").WaitAsync(World.Timeout);

        var seen = _w.Notifier.LastState("conn-nurse-1").Participants.Single(p => p.ParticipantId == guardian.ParticipantId);
        Assert.Equal("guardian", seen.Role);
        Assert.Equal("child-1", seen.OnBehalfOf!.Id);
    }
}
