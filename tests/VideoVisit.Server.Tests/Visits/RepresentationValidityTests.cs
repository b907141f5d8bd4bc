using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Tests.Visits;

/// <summary>A right written with a validity period (FHIR <c>RelatedPerson.period</c>) holds only inside it.</summary>
public sealed class RepresentationValidityTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);
    private static readonly Person Patient = new("p", "Patient", BirthDate: new DateOnly(1970, 1, 1));
    private static readonly Person Representative = new("r", "Representative", BirthDate: new DateOnly(1980, 1, 1));

    private static bool MayAct(DateTimeOffset? from, DateTimeOffset? until)
    {
        var catalog = new Catalog([Patient, Representative], [new Representation("r", "p", RepresentationScope.Full, from, until)], []);
        return Rights.May(catalog, Representative, Patient, Capability.Act, Now);
    }

    [Fact]
    public void ARightWithoutAPeriodHoldsAlways() => Assert.True(MayAct(null, null));

    [Fact]
    public void ARightHoldsInsideItsPeriod() => Assert.True(MayAct(Now.AddDays(-1), Now.AddDays(1)));

    [Fact]
    public void ARightThatHasNotStartedDoesNotHoldYet() => Assert.False(MayAct(Now.AddMinutes(1), null));

    [Fact]
    public void ARightWhosePeriodEndedNoLongerHolds() => Assert.False(MayAct(null, Now));

    [Fact]
    public void UpcomingAsksTheCatalogByPersonAndWindowAndListsCancelledWithTheReason()
    {
        var professional = new Person("n", "Nurse", UnitId: "u");
        var soon = Now.AddMinutes(5);
        Appointment[] appointments =
        [
            new("a-booked", soon, soon.AddMinutes(30), AppointmentKind.Video, "u", "n", ["p"], 2),
            new("a-cancelled", soon, soon.AddMinutes(30), AppointmentKind.Video, "u", "n", ["p"], 2, AppointmentStatus.Cancelled),
            new("a-error", soon, soon.AddMinutes(30), AppointmentKind.Video, "u", "n", ["p"], 2, AppointmentStatus.EnteredInError),
            new("a-far", Now.AddDays(400), Now.AddDays(400).AddMinutes(30), AppointmentKind.Video, "u", "n", ["p"], 2),
            new("a-over", Now.AddHours(-5), Now.AddHours(-4), AppointmentKind.Video, "u", "n", ["p"], 2),
        ];
        var catalog = new Catalog([Patient, professional], [], appointments);

        var listed = catalog.AppointmentsOfPatients(["p"], Now.AddMinutes(-30), Now.AddDays(60), 50).Select(a => a.Id).ToList();

        Assert.Equal(["a-booked", "a-cancelled"], listed.Order(StringComparer.Ordinal));
        Assert.Equal(listed.Order(StringComparer.Ordinal), catalog.AppointmentsOfUnit("u", Now.AddMinutes(-30), Now.AddDays(60), 50).Select(a => a.Id).Order(StringComparer.Ordinal));
    }
}
