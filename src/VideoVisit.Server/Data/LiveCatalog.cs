using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Data;

/// <summary>
/// The catalog as the store holds it now. People, rights and single appointments are read on first
/// use and cached (every hub call asks who the caller is); lists of appointments are always asked of
/// the store by person or unit and time window, so nothing loads all appointments. A FHIR write calls
/// <see cref="Forget"/> after it commits, so the next read sees it. A read that raced a write does not
/// cache what it read (the generation check), so a stale entry cannot outlive the write.
/// With several servers on one store, the keys a write forgot are told to the others
/// (<see cref="ICatalogPeers"/>: a Redis channel when <c>ConnectionStrings:Redis</c> is set), which forget
/// them too (<see cref="ForgetHere"/>); and an entry is trusted for at most <c>Data:CatalogCacheSeconds</c>
/// (<see cref="CatalogCacheOptions"/>), the bound on staleness when such a message is lost.
/// </summary>
internal sealed class LiveCatalog(IDbContextFactory<VideoVisitDb> contexts, ICatalogPeers peers, CatalogCacheOptions options) : Catalog
{
    /// <summary>Appointments are cached only while they are looked up by id (visits being begun); the cache is bounded.</summary>
    private const int AppointmentCacheLimit = 20_000;

    private readonly ConcurrentDictionary<string, Entry<Person?>> _people = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Entry<Representation[]>> _rightsBy = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Entry<Representation[]>> _rightsOf = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Entry<Appointment?>> _appointments = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Entry<string?>> _units = new(StringComparer.Ordinal);
    private readonly long _lifetimeMilliseconds = (long)options.Lifetime.TotalMilliseconds;
    private long _generation;

    public override IReadOnlyCollection<Person> People
    {
        get
        {
            using var db = contexts.CreateDbContext();
            return db.People.AsNoTracking().OrderBy(p => p.Id).Take(1000).AsEnumerable().Select(ToPerson).ToList();
        }
    }

    public override Person? FindPerson(string? id) =>
        id is null ? null : Cached(_people, id, db => db.People.AsNoTracking().FirstOrDefault(p => p.Id == id) is { } row ? ToPerson(row) : null);

    public override Appointment? FindAppointment(string? id)
    {
        if (id is null)
        {
            return null;
        }

        if (_appointments.Count > AppointmentCacheLimit)
        {
            _appointments.Clear();
        }

        return Cached(_appointments, id, db => db.Appointments.AsNoTracking().FirstOrDefault(a => a.Id == id) is { } row ? ToAppointment(row) : null);
    }

    public override string? UnitName(string unitId) =>
        Cached(_units, unitId, db => db.Units.AsNoTracking().Where(u => u.Id == unitId).Select(u => u.Name).FirstOrDefault());

    public override IEnumerable<Representation> RepresentationsBy(string representativeId) =>
        Cached(_rightsBy, representativeId, db => db.Representations.AsNoTracking().Where(r => r.RepresentativeId == representativeId).AsEnumerable().Select(ToRepresentation).ToArray());

    public override IEnumerable<Representation> RepresentationsOf(string personId) =>
        Cached(_rightsOf, personId, db => db.Representations.AsNoTracking().Where(r => r.PersonId == personId).AsEnumerable().Select(ToRepresentation).ToArray());

    public override IReadOnlyList<Appointment> AppointmentsOfPatients(IReadOnlyCollection<string> patientIds, DateTimeOffset endsFrom, DateTimeOffset startsBefore, int limit)
    {
        // An appointment lasts at most MaximumLength (checked when written), so one that ends at or after
        // endsFrom starts after endsFrom - MaximumLength: the (PatientId, StartTicks) index gives the window.
        var from = endsFrom.UtcTicks;
        var startsFrom = (endsFrom - AppointmentRules.MaximumLength).UtcTicks;
        var before = startsBefore.UtcTicks;
        using var db = contexts.CreateDbContext();
        // One query per person (the patient and whom they represent: a handful): with an equality on
        // PatientId the index is read in start order and stops at the limit; each row is joined to its appointment.
        var rows = new List<AppointmentRow>();
        foreach (var patientId in patientIds.Distinct(StringComparer.Ordinal))
        {
            rows.AddRange(Window(db, patientId, startsFrom, before, from, limit));
        }

        return rows.DistinctBy(a => a.Id).OrderBy(a => a.StartTicks).ThenBy(a => a.Id, StringComparer.Ordinal).Take(limit).Select(ToAppointment).ToList();
    }

    /// <summary>
    /// The window query, compiled once per context type: a compiled query belongs to the model it first ran
    /// with, and each provider has its own (one process may hold both, as the tests do).
    /// </summary>
    private static readonly ConcurrentDictionary<Type, Func<VideoVisitDb, string, long, long, long, int, IEnumerable<AppointmentRow>>> Windows = new();

    private static IEnumerable<AppointmentRow> Window(VideoVisitDb db, string patientId, long startsFrom, long before, long from, int limit) =>
        Windows.GetOrAdd(db.GetType(), static _ => EF.CompileQuery(
            (VideoVisitDb db, string patientId, long startsFrom, long before, long from, int limit) =>
                db.AppointmentPatients.AsNoTracking()
                    .Where(p => p.PatientId == patientId && p.StartTicks >= startsFrom && p.StartTicks < before && p.EndTicks >= from)
                    .OrderBy(p => p.StartTicks)
                    .Take(limit)
                    .Join(db.Appointments.AsNoTracking(), p => p.AppointmentId, a => a.Id, (p, a) => a)))(db, patientId, startsFrom, before, from, limit);

    public override IReadOnlyList<Appointment> AppointmentsOfUnit(string unitId, DateTimeOffset endsFrom, DateTimeOffset startsBefore, int limit)
    {
        var from = endsFrom.UtcTicks;
        var startsFrom = (endsFrom - AppointmentRules.MaximumLength).UtcTicks;
        var before = startsBefore.UtcTicks;
        using var db = contexts.CreateDbContext();
        return db.Appointments.AsNoTracking()
            .Where(a => a.UnitId == unitId && a.StartTicks >= startsFrom && a.StartTicks < before && a.EndTicks >= from && a.Status != nameof(AppointmentStatus.EnteredInError))
            .OrderBy(a => a.StartTicks).ThenBy(a => a.Id)
            .Take(limit)
            .AsEnumerable()
            .Select(ToAppointment)
            .ToList();
    }

    /// <summary>The person whose identifier in <paramref name="system"/> is <paramref name="value"/>.</summary>
    public string? PersonIdByIdentifier(string system, string value)
    {
        using var db = contexts.CreateDbContext();
        return db.PersonIdentifiers.AsNoTracking().Where(i => i.System == system && i.Value == value).Select(i => i.PersonId).FirstOrDefault();
    }

    /// <summary>Called after a write commits: drop what it changed from the caches, here and on the other servers.</summary>
    public void Forget(IEnumerable<string> personIds, IEnumerable<string> appointmentIds, IEnumerable<string> unitIds)
    {
        var keys = new CatalogKeys([.. personIds.Distinct(StringComparer.Ordinal)], [.. appointmentIds.Distinct(StringComparer.Ordinal)], [.. unitIds.Distinct(StringComparer.Ordinal)]);
        ForgetHere(keys);
        peers.Forgotten(keys);
    }

    /// <summary>Drops these keys from this server's caches only (what another server's write changed).</summary>
    public void ForgetHere(CatalogKeys keys)
    {
        if (keys.All)
        {
            ForgetEverything();
            return;
        }

        Interlocked.Increment(ref _generation);
        foreach (var id in keys.People)
        {
            _people.TryRemove(id, out _);
            _rightsBy.TryRemove(id, out _);
            _rightsOf.TryRemove(id, out _);
        }

        foreach (var id in keys.Appointments)
        {
            _appointments.TryRemove(id, out _);
        }

        foreach (var id in keys.Units)
        {
            _units.TryRemove(id, out _);
        }
    }

    /// <summary>Drops every cached entry: when this server may have missed what others forgot (its Redis link was down).</summary>
    public void ForgetEverything()
    {
        Interlocked.Increment(ref _generation);
        _people.Clear();
        _rightsBy.Clear();
        _rightsOf.Clear();
        _appointments.Clear();
        _units.Clear();
    }

    private TValue Cached<TValue>(ConcurrentDictionary<string, Entry<TValue>> cache, string key, Func<VideoVisitDb, TValue> load)
    {
        var now = Environment.TickCount64;
        if (cache.TryGetValue(key, out var hit) && (_lifetimeMilliseconds <= 0 || now - hit.LoadedAt < _lifetimeMilliseconds))
        {
            return hit.Value;
        }

        var generation = Interlocked.Read(ref _generation);
        TValue value;
        using (var db = contexts.CreateDbContext())
        {
            value = load(db);
        }

        if (Interlocked.Read(ref _generation) == generation)
        {
            var entry = new Entry<TValue>(value, now);
            cache[key] = entry;
            // A Forget that ran between the check and the store (it counts, then removes) must still win:
            // the count has moved, so take back what was just stored.
            if (Interlocked.Read(ref _generation) != generation)
            {
                cache.TryRemove(new KeyValuePair<string, Entry<TValue>>(key, entry));
            }
        }

        return value;
    }

    /// <summary>A cached value and when it was read (<see cref="Environment.TickCount64"/>).</summary>
    private readonly record struct Entry<TValue>(TValue Value, long LoadedAt);

    internal static Person ToPerson(PersonRow p) => new(p.Id, p.DisplayName, p.UnitId, p.BirthDate, p.NonDisclosureHolderId);

    internal static Representation ToRepresentation(RepresentationRow r) =>
        new(r.RepresentativeId, r.PersonId, Enum.Parse<RepresentationScope>(r.Scope), r.ValidFrom, r.ValidUntil);

    internal static Appointment ToAppointment(AppointmentRow a) => new(
        a.Id,
        a.Start,
        a.End,
        Enum.Parse<AppointmentKind>(a.Kind),
        a.UnitId,
        a.ProfessionalId,
        a.PatientIds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        a.Capacity,
        Enum.Parse<AppointmentStatus>(a.Status));
}
