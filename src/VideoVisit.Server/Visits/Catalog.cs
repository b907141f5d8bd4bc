namespace VideoVisit.Server.Visits;

/// <summary>
/// The people, representation rights and appointments the visits are checked against. This base
/// class holds them in memory (the domain tests build one by hand); the server's catalog is live
/// (<c>Data/LiveCatalog</c>): it asks the store by person and time window and follows every write at once.
/// </summary>
public class Catalog
{
    private readonly Dictionary<string, Person> _people;
    private readonly Dictionary<string, Appointment> _appointments;
    private readonly ILookup<string, Representation> _byRepresentative;
    private readonly ILookup<string, Representation> _byPerson;

    public Catalog(IEnumerable<Person> people, IEnumerable<Representation> representations, IEnumerable<Appointment> appointments)
    {
        _people = people.ToDictionary(p => p.Id, StringComparer.Ordinal);
        var rights = representations.ToList();
        _byRepresentative = rights.ToLookup(r => r.RepresentativeId, StringComparer.Ordinal);
        _byPerson = rights.ToLookup(r => r.PersonId, StringComparer.Ordinal);
        _appointments = appointments.ToDictionary(a => a.Id, StringComparer.Ordinal);
    }

    /// <summary>For a catalog that keeps nothing in memory itself.</summary>
    protected Catalog()
        : this([], [], [])
    {
    }

    public static Catalog Empty { get; } = new([], [], []);

    /// <summary>Everyone (the development issuer's list of people; not for hot paths).</summary>
    public virtual IReadOnlyCollection<Person> People => _people.Values;

    public virtual Person? FindPerson(string? id) => id is not null && _people.TryGetValue(id, out var p) ? p : null;

    public virtual Appointment? FindAppointment(string? id) => id is not null && _appointments.TryGetValue(id, out var a) ? a : null;

    /// <summary>The display name of a unit (an organization), or null when unknown.</summary>
    public virtual string? UnitName(string unitId) => null;

    /// <summary>The rights <paramref name="representativeId"/> holds over other people.</summary>
    public virtual IEnumerable<Representation> RepresentationsBy(string representativeId) => _byRepresentative[representativeId];

    /// <summary>The rights others hold over <paramref name="personId"/>.</summary>
    public virtual IEnumerable<Representation> RepresentationsOf(string personId) => _byPerson[personId];

    /// <summary>
    /// The appointments of any of <paramref name="patientIds"/> that end at or after <paramref name="endsFrom"/>
    /// and start before <paramref name="startsBefore"/>, by start, at most <paramref name="limit"/>.
    /// </summary>
    public virtual IReadOnlyList<Appointment> AppointmentsOfPatients(IReadOnlyCollection<string> patientIds, DateTimeOffset endsFrom, DateTimeOffset startsBefore, int limit) =>
        Window(_appointments.Values.Where(a => a.PatientIds.Any(patientIds.Contains)), endsFrom, startsBefore, limit);

    /// <summary>The same for a unit's appointments (what its professionals see).</summary>
    public virtual IReadOnlyList<Appointment> AppointmentsOfUnit(string unitId, DateTimeOffset endsFrom, DateTimeOffset startsBefore, int limit) =>
        Window(_appointments.Values.Where(a => a.UnitId == unitId), endsFrom, startsBefore, limit);

    private static List<Appointment> Window(IEnumerable<Appointment> appointments, DateTimeOffset endsFrom, DateTimeOffset startsBefore, int limit) =>
        appointments.Where(a => a.Status != AppointmentStatus.EnteredInError && a.End >= endsFrom && a.Start < startsBefore)
            .OrderBy(a => a.Start).ThenBy(a => a.Id, StringComparer.Ordinal).Take(limit).ToList();
}
