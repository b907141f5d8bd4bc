namespace VideoVisit.Server.Visits;

/// <summary>A person known to the service: a patient, or a professional when <see cref="UnitId"/> is set.</summary>
[Orleans.Immutable]
public sealed record Person(string Id, string DisplayName, string? UnitId = null, DateOnly? BirthDate = null, string? NonDisclosureHolderId = null)
{
    public bool IsProfessional => UnitId is not null;
}

/// <summary>What a representative may do on the represented person's behalf.</summary>
public enum RepresentationScope
{
    /// <summary>Everything the person may do.</summary>
    Full,

    /// <summary>Book, message and join visits; no diagnoses or medications.</summary>
    AppointmentsAndMessages,

    /// <summary>View only: may not begin, join or message.</summary>
    ReadOnly,

    /// <summary>Guardian of a child: full rights while the child is under 18, unless a non-disclosure marking names another guardian.</summary>
    Guardian,
}

/// <summary>
/// <paramref name="RepresentativeId"/> may act for <paramref name="PersonId"/> within <paramref name="Scope"/>,
/// from <paramref name="ValidFrom"/> until <paramref name="ValidUntil"/> when those are set.
/// </summary>
public sealed record Representation(string RepresentativeId, string PersonId, RepresentationScope Scope, DateTimeOffset? ValidFrom = null, DateTimeOffset? ValidUntil = null)
{
    public bool IsValidAt(DateTimeOffset now) => (ValidFrom is not { } from || from <= now) && (ValidUntil is not { } until || now < until);
}

public enum AppointmentKind
{
    Video,
    Group,
}

/// <summary>Where an appointment stands in the clinic's system (FHIR <c>Appointment.status</c>, folded).</summary>
public enum AppointmentStatus
{
    /// <summary>Booked (or any other status that keeps the appointment on the calendar).</summary>
    Booked,

    /// <summary>Cancelled, or marked as a no-show: shown, but its visit cannot be begun.</summary>
    Cancelled,

    /// <summary>Entered in error: it never existed, so it is not shown at all.</summary>
    EnteredInError,
}

[Orleans.Immutable]
public sealed record Appointment(
    string Id,
    DateTimeOffset Start,
    DateTimeOffset End,
    AppointmentKind Kind,
    string UnitId,
    string ProfessionalId,
    IReadOnlyList<string> PatientIds,
    int Capacity,
    AppointmentStatus Status = AppointmentStatus.Booked)
{
    public bool IsCancelled => Status != AppointmentStatus.Booked;
}

/// <summary>Rules every appointment written into the catalog keeps.</summary>
public static class AppointmentRules
{
    /// <summary>The longest appointment (a video visit is not a day-long event); lets the store find a person's window by start.</summary>
    public static readonly TimeSpan MaximumLength = TimeSpan.FromHours(24);

    /// <summary>Seats for non-professionals: 1:1 from the options; a group seats every patient, and at least the option's number.</summary>
    public static int DefaultCapacity(AppointmentKind kind, int patients, VisitOptions options) =>
        kind == AppointmentKind.Group ? Math.Max(options.GroupCapacity, patients) : options.VideoCapacity;
}
