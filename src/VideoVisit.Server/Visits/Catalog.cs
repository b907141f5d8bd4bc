namespace VideoVisit.Server.Visits;

/// <summary>
/// The people, representation rights and appointments the visits are checked against: an immutable
/// snapshot loaded from the store at start.
/// </summary>
public sealed class Catalog
{
    private readonly Dictionary<string, Person> _people;
    private readonly Dictionary<string, Appointment> _appointments;
    private readonly ILookup<string, Representation> _byRepresentative;

    public Catalog(IEnumerable<Person> people, IEnumerable<Representation> representations, IEnumerable<Appointment> appointments)
    {
        _people = people.ToDictionary(p => p.Id, StringComparer.Ordinal);
        Representations = representations.ToList();
        _byRepresentative = Representations.ToLookup(r => r.RepresentativeId, StringComparer.Ordinal);
        _appointments = appointments.ToDictionary(a => a.Id, StringComparer.Ordinal);
    }

    public static Catalog Empty { get; } = new([], [], []);

    public IReadOnlyCollection<Person> People => _people.Values;

    public IReadOnlyList<Representation> Representations { get; }

    public IReadOnlyCollection<Appointment> Appointments => _appointments.Values;

    public Person? FindPerson(string? id) => id is not null && _people.TryGetValue(id, out var p) ? p : null;

    public Appointment? FindAppointment(string? id) => id is not null && _appointments.TryGetValue(id, out var a) ? a : null;

    /// <summary>The rights <paramref name="representativeId"/> holds over other people.</summary>
    public IEnumerable<Representation> RepresentationsBy(string representativeId) => _byRepresentative[representativeId];
}
