using Orleans.Runtime;
using VideoVisit.Server.Cluster;
using VideoVisit.Server.Tests.Visits;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Tests.Cluster;

/// <summary>
/// A closed connection's disconnect, as the hub hands it to a visit's grain (<see cref="GrainCalls{TGrain}"/>),
/// meeting a visit that is moving between servers. The grain is the visit's rules in this process behind a
/// stand-in that fails the first calls the way Orleans does ("Forwarding failed ... DeactivateOnIdle was
/// called", seen in the cluster tests' logs when a connection closed as its visit left memory).
/// </summary>
public sealed class GrainCallsTests
{
    private readonly World _w = new();

    [Fact]
    public async Task ADisconnectThatMeetsAMovingVisitIsSentAgainUntilTheVisitHearsIt()
    {
        var (visitId, seat) = await AdmittedPatientAsync();
        var (grain, calls) = FlakyDisconnects.Around(_w.Service.Local!.Visit(visitId), 2, () => new OrleansException("Forwarding failed: tried to forward message for 2 times after \"DeactivateOnIdle was called.\""));

        await new Calls(grain).Disconnected("conn-patient-1").WaitAsync(World.Timeout);

        Assert.Equal(3, calls.Attempts);
        Assert.Equal(ParticipantState.Reconnecting, _w.StateOf(visitId, seat));
    }

    [Fact]
    public async Task ADisconnectGivesUpAfterItsLastAttemptAndSaysWhy()
    {
        var (visitId, seat) = await AdmittedPatientAsync();
        var (grain, calls) = FlakyDisconnects.Around(_w.Service.Local!.Visit(visitId), int.MaxValue, () => new TimeoutException("Response did not arrive on time"));

        await Assert.ThrowsAsync<TimeoutException>(() => new Calls(grain).Disconnected("conn-patient-1").WaitAsync(World.Timeout));

        Assert.Equal(GrainCalls<IVisit>.DisconnectAttempts, calls.Attempts);
        Assert.Equal(ParticipantState.Admitted, _w.StateOf(visitId, seat));
    }

    [Fact]
    public async Task ADisconnectTheVisitRefusesIsNotSentAgain()
    {
        var (visitId, _) = await AdmittedPatientAsync();
        var (grain, calls) = FlakyDisconnects.Around(_w.Service.Local!.Visit(visitId), int.MaxValue, () => new VisitException(VisitError.NotInVisit, "You are not in this visit."));

        await Assert.ThrowsAsync<VisitException>(() => new Calls(grain).Disconnected("conn-patient-1").WaitAsync(World.Timeout));

        Assert.Equal(1, calls.Attempts);
    }

    private async Task<(string VisitId, string Seat)> AdmittedPatientAsync()
    {
        var (patient, nurse) = await _w.AdmittedAsync();
        return (nurse.VisitId, patient.ParticipantId);
    }

    /// <summary>What the hub calls for a visit whose grain runs elsewhere, minus the route cache.</summary>
    private sealed class Calls(IVisit grain) : GrainCalls<IVisit>(grain);
}
