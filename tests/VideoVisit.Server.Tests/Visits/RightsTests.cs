using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Tests.Visits;

public sealed class RightsTests
{
    private readonly World _world = new();

    private bool May(string actor, string subject, Capability capability) =>
        Rights.May(_world.Current, _world.P(actor), _world.P(subject), capability, World.Start);

    [Fact]
    public void PatientMayViewAndActForThemselves()
    {
        Assert.True(May("patient-1", "patient-1", Capability.View));
        Assert.True(May("patient-1", "patient-1", Capability.Act));
    }

    [Theory]
    [InlineData("rep-full")]
    [InlineData("rep-appt")]
    public void FullAndAppointmentsAndMessagesRepresentativesMayViewAndAct(string representative)
    {
        Assert.True(May(representative, "patient-1", Capability.View));
        Assert.True(May(representative, "patient-1", Capability.Act));
    }

    [Fact]
    public void ReadOnlyRepresentativeMayViewButNotAct()
    {
        Assert.True(May("rep-read", "patient-1", Capability.View));
        Assert.False(May("rep-read", "patient-1", Capability.Act));
    }

    [Fact]
    public void RepresentativeHasNoRightsOverSomeoneElse()
    {
        Assert.False(May("rep-full", "patient-2", Capability.View));
        Assert.False(May("patient-2", "patient-1", Capability.View));
    }

    [Fact]
    public void GuardianHoldingTheNonDisclosureMarkingMayActForTheChild()
    {
        Assert.True(May("guardian-1", "child-1", Capability.View));
        Assert.True(May("guardian-1", "child-1", Capability.Act));
    }

    [Fact]
    public void NonDisclosureMarkingHeldByTheOtherGuardianLeavesThisGuardianWithNoRights()
    {
        Assert.False(May("guardian-2", "child-1", Capability.View));
        Assert.False(May("guardian-2", "child-1", Capability.Act));
    }

    [Fact]
    public void GuardianshipEndsWhenTheChildTurns18()
    {
        var child2 = _world.P("child-2"); // turns 18 the day after World.Start
        var guardian = _world.P("guardian-2");
        Assert.True(Rights.May(_world.Current, guardian, child2, Capability.Act, World.Start));
        Assert.False(Rights.May(_world.Current, guardian, child2, Capability.Act, World.Start.AddDays(1)));
        Assert.Equal(18, Rights.AgeOn(child2, World.Start.AddDays(1)));
    }

    [Fact]
    public void OnlyProfessionalsOfTheAppointmentsUnitAreItsProfessionals()
    {
        var appt1 = _world.Current.FindAppointment("appt-1")!;
        Assert.True(Rights.IsProfessionalOf(_world.P("nurse-1"), appt1));
        Assert.True(Rights.IsProfessionalOf(_world.P("nurse-3"), appt1));
        Assert.False(Rights.IsProfessionalOf(_world.P("doctor-2"), appt1));
        Assert.False(Rights.IsProfessionalOf(_world.P("patient-1"), appt1));
    }
}
