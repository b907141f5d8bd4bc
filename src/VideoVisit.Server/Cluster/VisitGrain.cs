using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Cluster;

/// <summary>One visit, wherever in the cluster it runs: the grain's key is the visit id.</summary>
[Alias("VideoVisit.Visit")]
public interface IVisitGrain : IGrainWithStringKey, IVisit
{
    /// <summary>The cluster declared a server dead: seats held through it start their reconnection grace.</summary>
    [Alias("ServersChanged")]
    Task ServersChanged();

    /// <summary>
    /// <see cref="IVisit.RouteSignal"/> for a server that keeps the route (<see cref="RouteCache"/>): it is
    /// told, through <paramref name="routes"/>, before anyone is told of the next change.
    /// </summary>
    [Alias("RouteSignalFor")]
    Task<EpochRoute> RouteSignalFor(string connectionId, string toParticipantId, IVisitRoutes routes, string server);
}

/// <summary>
/// Holds one visit's <see cref="VisitRoom"/> (through <see cref="VisitHost"/>, the same code the rules'
/// tests run) on one server of the cluster at a time. Activated from the store (status, removals, chat
/// and seats as the last change wrote them), so after the server running it dies the next call
/// activates it on another server as it was. Its timer replaces the grace sweeper and runs only while
/// it has work: while a seat is in reconnection grace (released when the grace runs out), and once
/// after activation (seats held through a server the cluster declared dead start their grace). A
/// visit nobody holds a seat in leaves memory after the call that emptied it. Calls interleave at
/// awaits, as they did on one server; each change to the room is still applied whole (Orleans runs
/// one turn at a time, and the room keeps its lock for the reads <see cref="ActiveVisits"/> makes
/// from outside the grain).
/// </summary>
[Reentrant]
internal sealed partial class VisitGrain(
    ICatalogSource catalog,
    IVisitStore store,
    IVisitNotifier notifier,
    IOptions<VisitOptions> options,
    TimeProvider time,
    ServerLiveness liveness,
    ActiveVisits active,
    ILogger<VisitGrain> log) : Grain, IVisitGrain
{
    private static readonly TimeSpan ForgetTimeout = TimeSpan.FromSeconds(2);

    private VisitHost? _host;
    private IGrainTimer? _timer;
    /// <summary>The servers that keep routes of this visit; told before anyone hears of a change.</summary>
    private readonly Dictionary<IVisitRoutes, string> _routeKeepers = [];
    /// <summary>Moves with every change, in the change's turn; starts at the clock so a later activation counts on from above.</summary>
    private long _epoch;
    private long _toldEpoch;
    /// <summary>Seats came back from the store: the timer's next tick checks their servers, whatever calls come first.</summary>
    private bool _checkServers;

    private IVisit Visit => (IVisit?)_host ?? NoVisit.Instance;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var visitId = this.GetPrimaryKeyString();
        // The store's reads are synchronous EF queries: off the grain's scheduler.
        var found = await Task.Run(() => store.FindVisitById(visitId), cancellationToken);
        if (found is not { } visit || catalog.Current.FindAppointment(visit.AppointmentId) is not { } appointment)
        {
            return;
        }

        _epoch = _toldEpoch = time.GetUtcNow().UtcTicks;
        _host = new VisitHost(new VisitRoom(visitId, appointment, store, options.Value, visit.Visit), catalog, notifier, time, () => _epoch++, TellRouteKeepersAsync);
        active.Activated(visitId, _host, this.AsReference<IVisitGrain>());
        if (visit.Visit.Seats is { Count: > 0 })
        {
            // Seats came back from the store: some may be held through a server that is gone, or be in grace.
            _checkServers = true;
            StartTimer();
        }

        Activated(log, visitId, visit.Visit.Seats?.Count ?? 0);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_host is { } host)
        {
            active.Deactivated(host.Room.VisitId, host);
            // The next activation does not know who keeps routes: they forget them now.
            _epoch++;
            await TellRouteKeepersAsync();
        }
    }

    /// <summary>Every server that keeps routes of this visit forgets those read before now; one that does not answer is dropped.</summary>
    private async Task TellRouteKeepersAsync()
    {
        if (_routeKeepers.Count == 0 || _toldEpoch == _epoch || _host is not { } host)
        {
            return;
        }

        var epoch = _epoch;
        // A server the cluster declared dead keeps nothing any more (and would only make everyone wait).
        foreach (var keeper in _routeKeepers.Where(k => liveness.IsGone(k.Value)).Select(k => k.Key).ToList())
        {
            _routeKeepers.Remove(keeper);
        }

        var keepers = _routeKeepers.Keys.ToList();
        var told = await Task.WhenAll(keepers.Select(async keeper =>
        {
            try
            {
                await keeper.Forget(host.Room.VisitId, epoch).WaitAsync(ForgetTimeout);
                return true;
            }
#pragma warning disable CA1031 // A server that cannot be told is gone or cut off: it keeps nothing for long (RouteCache drops unused routes) and is forgotten here.
            catch (Exception)
#pragma warning restore CA1031
            {
                return false;
            }
        }));
        for (var i = 0; i < keepers.Count; i++)
        {
            if (!told[i])
            {
                _routeKeepers.Remove(keepers[i]);
            }
        }

        _toldEpoch = Math.Max(_toldEpoch, epoch);
    }

    public Task<EpochRoute> RouteSignalFor(string connectionId, string toParticipantId, IVisitRoutes routes, string server)
    {
        if (_host is not { } host)
        {
            return Task.FromException<EpochRoute>(new VisitException(VisitError.NotInVisit, "You are not in this visit."));
        }

        // Read and counted in one turn: no change can fall between them.
        var route = host.Route(connectionId, toParticipantId);
        _routeKeepers[routes] = server;
        return Task.FromResult(new EpochRoute(route, _epoch));
    }

    private void StartTimer()
    {
        var period = TimeSpan.FromMilliseconds(options.Value.GraceSweepMilliseconds);
        _timer ??= this.RegisterGrainTimer(TickAsync, new GrainTimerCreationOptions(period, period) { Interleave = true, KeepAlive = true });
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        if (_host is not { } host)
        {
            return;
        }

        await CheckServersAsync(host);
        _checkServers = false;
        await host.ExpireGraceAsync();
        Settle();
    }

    private async Task CheckServersAsync(VisitHost host)
    {
        var lost = await host.ServersGoneAsync(liveness.IsGone);
        if (lost > 0)
        {
            ServerGone(log, host.Room.VisitId, lost);
        }
    }

    /// <summary>After each call and tick: the timer runs while a seat is in grace; a visit nobody holds a seat in leaves memory.</summary>
    private void Settle()
    {
        if (_host is not { } host)
        {
            DeactivateOnIdle();
            return;
        }

        // A call answered before the first tick after activation (the dead server's watcher asking for
        // the visit's state, say) must not cancel that tick's check of the seats' servers.
        if (host.Room.HasSeatsInGrace || _checkServers)
        {
            StartTimer();
            return;
        }

        _timer?.Dispose();
        _timer = null;
        if (!host.Room.HasActiveSeats)
        {
            // Everything is in the store, and the next call activates it again.
            DeactivateOnIdle();
        }
    }

    private async Task Then(Task change)
    {
        try
        {
            await change;
        }
        finally
        {
            Settle();
        }
    }

    private async Task<T> Then<T>(Task<T> change)
    {
        try
        {
            return await change;
        }
        finally
        {
            Settle();
        }
    }

    public async Task ServersChanged()
    {
        if (_host is { } host)
        {
            await Then(CheckServersAsync(host));
        }
    }

    public Task<BeginVisitResult> Join(Person actor, Person? onBehalfOf, ParticipantRole role, string connectionId, string? server) =>
        Then(Visit.Join(actor, onBehalfOf, role, connectionId, server));

    public Task Admit(string connectionId, string participantId) => Then(Visit.Admit(connectionId, participantId));

    public Task AdmitAll(string connectionId) => Then(Visit.AdmitAll(connectionId));

    public Task ReturnToWaiting(string connectionId, string participantId) => Then(Visit.ReturnToWaiting(connectionId, participantId));

    public Task Remove(string connectionId, string participantId) => Then(Visit.Remove(connectionId, participantId));

    public Task AllowBack(string connectionId, string participantId) => Then(Visit.AllowBack(connectionId, participantId));

    public Task EndVisit(string connectionId) => Then(Visit.EndVisit(connectionId));

    public Task Leave(string connectionId) => Then(Visit.Leave(connectionId));

    public Task<SignalRoute> RouteSignal(string connectionId, string toParticipantId) => Visit.RouteSignal(connectionId, toParticipantId);

    public Task<ChatMessage> Chat(string connectionId, string clientMessageId, string text, string? toParticipantId) =>
        Visit.Chat(connectionId, clientMessageId, text, toParticipantId);

    public Task ReportPrecheck(string connectionId, PrecheckSummary summary, string reportJson) => Visit.ReportPrecheck(connectionId, summary, reportJson);

    public Task Disconnected(string connectionId) => Then(Visit.Disconnected(connectionId));

    public Task EndBecause(string kind, string message) => Then(Visit.EndBecause(kind, message));

    public Task Release(string personId, string reason, string message) => Then(Visit.Release(personId, reason, message));

    public Task RecheckRights(IReadOnlyList<string> personIds) => Then(Visit.RecheckRights(personIds));

    public Task<VisitInfo?> Info() => Then(Visit.Info());

    [LoggerMessage(EventId = 4101, Level = LogLevel.Debug, Message = "Visit {VisitId} activated with {Seats} stored seats")]
    private static partial void Activated(ILogger logger, string visitId, int seats);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "Visit {VisitId}: {Count} seats held through a server that is gone start their reconnection grace")]
    private static partial void ServerGone(ILogger logger, string visitId, int count);
}

/// <summary>Opens the one visit of an appointment slot (its key) for the whole cluster: two servers never open two.</summary>
[Alias("VideoVisit.Slot")]
public interface ISlotGrain : IGrainWithStringKey
{
    [Alias("Open")]
    Task<string> Open(Appointment appointment);

    [Alias("Find")]
    Task<string?> Find(Appointment appointment);
}

internal sealed class SlotGrain(IVisitStore store, TimeProvider time) : Grain, ISlotGrain
{
    private string? _visitId;

    public async Task<string> Open(Appointment appointment)
    {
        if (_visitId is { } known)
        {
            return known;
        }

        var stored = await Task.Run(() => store.FindVisit(appointment.Id, appointment.Start));
        var visitId = stored?.VisitId ?? VisitRoom.NewId("v-");
        if (stored is null)
        {
            // Stored before anyone joins it, so whichever server runs it finds it.
            await store.SaveVisit(visitId, appointment, VisitStatus.NotOpened, time.GetUtcNow());
        }

        return _visitId = visitId;
    }

    public async Task<string?> Find(Appointment appointment) =>
        _visitId ?? (await Task.Run(() => store.FindVisit(appointment.Id, appointment.Start)))?.VisitId;
}
