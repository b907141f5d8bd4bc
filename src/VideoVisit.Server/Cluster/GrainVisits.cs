using System.Collections.Concurrent;
using Orleans.Runtime;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Cluster;

/// <summary><see cref="IVisitDirectory"/> over Orleans: a visit is its grain, a slot's visit is opened by the slot's grain.</summary>
internal sealed class GrainVisits(IGrainFactory grains, IVisitStore store, ILocalSiloDetails silo, ActiveVisits active, RouteCache routes) : IVisitDirectory
{
    private readonly Lazy<IVisitRoutes> _routesReference = new(() => grains.CreateObjectReference<IVisitRoutes>(routes));

    public string? Server { get; } = silo.SiloAddress.ToParsableString();

    public async Task<string> OpenAsync(Appointment appointment)
    {
        try
        {
            return await grains.GetGrain<ISlotGrain>(LocalVisits.SlotKey(appointment)).Open(appointment);
        }
        catch (Exception ex) when (ex is not VisitException)
        {
            // The store busy or away for a moment, or the server running the slot gone: the next attempt opens it again.
            throw new VisitException(VisitError.Unavailable, "The visit could not be opened just now. Please try again in a moment.", ex);
        }
    }

    public Task<string?> FindAsync(Appointment appointment) => grains.GetGrain<ISlotGrain>(LocalVisits.SlotKey(appointment)).Find(appointment);

    public VisitStatus? StatusOf(Appointment appointment) => store.FindStatus(appointment.Id, appointment.Start);

    public IVisit Visit(string visitId) =>
        string.IsNullOrEmpty(visitId) ? NoVisit.Instance
        : active.TryGet(visitId, out var here) ? here
        : new RoutedHere(visitId, grains.GetGrain<IVisitGrain>(visitId), routes, _routesReference.Value, Server!);
}

/// <summary>A visit that runs on another server: its signal routes are cached here (<see cref="RouteCache"/>), everything else is a grain call.</summary>
internal sealed class RoutedHere(string visitId, IVisitGrain grain, RouteCache cache, IVisitRoutes reference, string server) : IVisit
{
    public async Task<SignalRoute> RouteSignal(string connectionId, string toParticipantId)
    {
        if (cache.TryGet(visitId, connectionId, toParticipantId, out var route))
        {
            return route;
        }

        var read = await grain.RouteSignalFor(connectionId, toParticipantId, reference, server);
        cache.Keep(visitId, connectionId, toParticipantId, read);
        return read.Route;
    }

    public Task<BeginVisitResult> Join(Person actor, Person? onBehalfOf, ParticipantRole role, string connectionId, string? server) =>
        grain.Join(actor, onBehalfOf, role, connectionId, server);

    public Task Admit(string connectionId, string participantId) => grain.Admit(connectionId, participantId);

    public Task AdmitAll(string connectionId) => grain.AdmitAll(connectionId);

    public Task ReturnToWaiting(string connectionId, string participantId) => grain.ReturnToWaiting(connectionId, participantId);

    public Task Remove(string connectionId, string participantId) => grain.Remove(connectionId, participantId);

    public Task AllowBack(string connectionId, string participantId) => grain.AllowBack(connectionId, participantId);

    public Task EndVisit(string connectionId) => grain.EndVisit(connectionId);

    public Task Leave(string connectionId) => grain.Leave(connectionId);

    public Task<ChatMessage> Chat(string connectionId, string clientMessageId, string text, string? toParticipantId) =>
        grain.Chat(connectionId, clientMessageId, text, toParticipantId);

    public Task ReportPrecheck(string connectionId, PrecheckSummary summary, string reportJson) => grain.ReportPrecheck(connectionId, summary, reportJson);

    public Task Disconnected(string connectionId) => grain.Disconnected(connectionId);

    public Task EndBecause(string kind, string message) => grain.EndBecause(kind, message);

    public Task Release(string personId, string reason, string message) => grain.Release(personId, reason, message);

    public Task RecheckRights(IReadOnlyList<string> personIds) => grain.RecheckRights(personIds);

    public Task<VisitInfo?> Info() => grain.Info();
}

/// <summary>Whether a server (an Orleans silo, as seats record it) has been declared dead by the cluster.</summary>
internal sealed class ServerLiveness(IClusterMembershipService membership)
{
    private readonly ConcurrentDictionary<string, SiloAddress> _parsed = new(StringComparer.Ordinal);

    public bool IsGone(string server)
    {
        var address = _parsed.GetOrAdd(server, SiloAddress.FromParsableString);
        return membership.CurrentSnapshot.GetSiloStatus(address) == SiloStatus.Dead;
    }
}
