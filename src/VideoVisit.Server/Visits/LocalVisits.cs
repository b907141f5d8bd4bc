using System.Collections.Concurrent;

namespace VideoVisit.Server.Visits;

/// <summary>
/// Visits held in this process's memory, one <see cref="VisitHost"/> per visit, with a sweep for
/// reconnection grace and finished visits. The rules' tests run on it without Orleans; the server runs
/// every visit as an Orleans grain instead, which hosts the same <see cref="VisitHost"/>.
/// </summary>
public sealed class LocalVisits(ICatalogSource catalog, IVisitStore store, IVisitNotifier notifier, VisitOptions options, TimeProvider time) : IVisitDirectory
{
    private readonly ConcurrentDictionary<string, VisitHost> _visits = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<VisitHost>>> _bySlot = new(StringComparer.Ordinal);

    public string? Server => null;

    public async Task<string> OpenAsync(Appointment appointment)
    {
        var key = SlotKey(appointment);
        var lazy = _bySlot.GetOrAdd(key, _ => new Lazy<Task<VisitHost>>(() => LoadAsync(appointment)));
        try
        {
            return (await lazy.Value).Room.VisitId;
        }
        catch (Exception ex) when (ex is not VisitException)
        {
            // A failed load or first write (the database busy or away for a moment) must not stick to the
            // slot: the next attempt opens it again. Everyone waiting on this attempt gets the same clear error.
            _bySlot.TryRemove(new KeyValuePair<string, Lazy<Task<VisitHost>>>(key, lazy));
            throw new VisitException(VisitError.Unavailable, "The visit could not be opened just now. Please try again in a moment.", ex);
        }
    }

    public Task<string?> FindAsync(Appointment appointment) =>
        Task.FromResult(Opened(appointment)?.Room.VisitId ?? store.FindVisit(appointment.Id, appointment.Start)?.VisitId);

    public VisitStatus? StatusOf(Appointment appointment) =>
        Opened(appointment)?.Room.Status ?? store.FindStatus(appointment.Id, appointment.Start);

    private VisitHost? Opened(Appointment appointment) =>
        _bySlot.TryGetValue(SlotKey(appointment), out var lazy) && lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully ? lazy.Value.Result : null;

    public IVisit Visit(string visitId) =>
        visitId is not null && _visits.TryGetValue(visitId, out var visit) ? visit : NoVisit.Instance;

    /// <summary>A visit this process runs, by id.</summary>
    public VisitRoom? FindRoom(string visitId) => _visits.TryGetValue(visitId, out var visit) ? visit.Room : null;

    /// <summary>Releases seats whose reconnection grace ran out and tells the others.</summary>
    public async Task<int> SweepGraceAsync()
    {
        var expired = 0;
        foreach (var visit in _visits.Values)
        {
            expired += await visit.ExpireGraceAsync();
        }

        return expired;
    }

    /// <summary>
    /// Lets finished visits leave memory; returns how many. A finished visit takes no more writes, so
    /// once what was queued before is saved, reading it back from the store gives the same visit.
    /// </summary>
    public async Task<int> EvictFinishedAsync()
    {
        var now = time.GetUtcNow();
        var finished = _visits.Values.Where(v => v.Room.IsFinished(now)).ToList();
        if (finished.Count == 0)
        {
            return 0;
        }

        await store.FlushAsync();
        var evicted = 0;
        foreach (var visit in finished)
        {
            if (_visits.TryRemove(new KeyValuePair<string, VisitHost>(visit.Room.VisitId, visit)))
            {
                _bySlot.TryRemove(SlotKey(visit.Room.Appointment), out _);
                evicted++;
            }
        }

        return evicted;
    }

    private async Task<VisitHost> LoadAsync(Appointment appointment)
    {
        await Task.Yield();
        var stored = store.FindVisit(appointment.Id, appointment.Start);
        var visitId = stored?.VisitId ?? VisitRoom.NewId("v-");
        if (stored is null)
        {
            // Stored before anyone joins it.
            await store.SaveVisit(visitId, appointment, VisitStatus.NotOpened, time.GetUtcNow());
        }

        var visit = new VisitHost(new VisitRoom(visitId, appointment, store, options, stored), catalog, notifier, time);
        _visits[visitId] = visit;
        return visit;
    }

    /// <summary>The key of an appointment slot: a rescheduled appointment is a new slot with its own visit.</summary>
    public static string SlotKey(Appointment appointment) => appointment.Id + "|" + appointment.Start.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A visit id nobody runs: every call is refused as from someone not in it.</summary>
public sealed class NoVisit : IVisit
{
    public static readonly NoVisit Instance = new();

    private static Task Refuse() => Task.FromException(NotIn());

    private static Task<T> Refuse<T>() => Task.FromException<T>(NotIn());

    private static VisitException NotIn() => new(VisitError.NotInVisit, "You are not in this visit.");

    public Task<BeginVisitResult> Join(Person actor, Person? onBehalfOf, ParticipantRole role, string connectionId, string? server) => Refuse<BeginVisitResult>();

    public Task Admit(string connectionId, string participantId) => Refuse();

    public Task AdmitAll(string connectionId) => Refuse();

    public Task ReturnToWaiting(string connectionId, string participantId) => Refuse();

    public Task Remove(string connectionId, string participantId) => Refuse();

    public Task AllowBack(string connectionId, string participantId) => Refuse();

    public Task EndVisit(string connectionId) => Refuse();

    public Task Leave(string connectionId) => Refuse();

    public Task<SignalRoute> RouteSignal(string connectionId, string toParticipantId) => Refuse<SignalRoute>();

    public Task<ChatMessage> Chat(string connectionId, string clientMessageId, string text, string? toParticipantId) => Refuse<ChatMessage>();

    public Task ReportPrecheck(string connectionId, PrecheckSummary summary, string reportJson) => Refuse();

    public Task Disconnected(string connectionId) => Task.CompletedTask;

    public Task EndBecause(string kind, string message) => Task.CompletedTask;

    public Task Release(string personId, string reason, string message) => Task.CompletedTask;

    public Task RecheckRights(IReadOnlyList<string> personIds) => Task.CompletedTask;

    public Task<VisitInfo?> Info() => Task.FromResult<VisitInfo?>(null);
}
