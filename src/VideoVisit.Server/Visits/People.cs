namespace VideoVisit.Server.Visits;

/// <summary>A person known to the service: a patient, or a professional when <see cref="UnitId"/> is set.</summary>
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

/// <summary><paramref name="RepresentativeId"/> may act for <paramref name="PersonId"/> within <paramref name="Scope"/>.</summary>
public sealed record Representation(string RepresentativeId, string PersonId, RepresentationScope Scope);

public enum AppointmentKind
{
    Video,
    Group,
}

public sealed record Appointment(
    string Id,
    DateTimeOffset Start,
    DateTimeOffset End,
    AppointmentKind Kind,
    string UnitId,
    string ProfessionalId,
    IReadOnlyList<string> PatientIds,
    int Capacity);
