namespace VideoVisit.Server.Visits;

/// <summary>What a person wants to do for a subject (themselves or someone they represent).</summary>
public enum Capability
{
    /// <summary>See the subject's upcoming appointments.</summary>
    View,

    /// <summary>Begin or join a visit and chat on the subject's behalf.</summary>
    Act,
}

/// <summary>The rights rules. Every hub call and endpoint asks these; nothing is decided on the client.</summary>
public static class Rights
{
    public const int AgeOfMajority = 18;

    /// <summary>Whether <paramref name="actor"/> may do <paramref name="capability"/> for <paramref name="subject"/> at <paramref name="now"/>.</summary>
    public static bool May(Catalog catalog, Person actor, Person subject, Capability capability, DateTimeOffset now)
    {
        if (actor.Id == subject.Id)
        {
            return true;
        }

        foreach (var right in catalog.RepresentationsBy(actor.Id))
        {
            if (right.PersonId == subject.Id && Grants(right, actor, subject, capability, now))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether one representation right covers <paramref name="capability"/>.</summary>
    public static bool Grants(Representation right, Person actor, Person subject, Capability capability, DateTimeOffset now) => right.IsValidAt(now) && right.Scope switch
    {
        RepresentationScope.Full => true,
        RepresentationScope.AppointmentsAndMessages => true,
        RepresentationScope.ReadOnly => capability == Capability.View,
        // A guardian acts for a child under 18; a non-disclosure marking limits that to the guardian who holds it.
        RepresentationScope.Guardian => IsMinor(subject, now)
            && (subject.NonDisclosureHolderId is null || subject.NonDisclosureHolderId == actor.Id),
        _ => false,
    };

    public static bool IsMinor(Person person, DateTimeOffset now)
    {
        if (person.BirthDate is not { } born)
        {
            return false;
        }

        var today = DateOnly.FromDateTime(now.UtcDateTime);
        return born.AddYears(AgeOfMajority) > today;
    }

    /// <summary>Only professionals of the appointment's unit may open, admit, return, remove and end.</summary>
    public static bool IsProfessionalOf(Person person, Appointment appointment) =>
        person.IsProfessional && person.UnitId == appointment.UnitId;

    /// <summary>The age in whole years on <paramref name="now"/>'s date.</summary>
    public static int? AgeOn(Person person, DateTimeOffset now)
    {
        if (person.BirthDate is not { } born)
        {
            return null;
        }

        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var age = today.Year - born.Year;
        return born.AddYears(age) > today ? age - 1 : age;
    }
}
