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
internal sealed class RoutedHere(string visitId, IVisitGrain grain, RouteCache cache, IVisitRoutes reference, string server) : GrainCalls<IVisitGrain>(grain)
{
    public override async Task<SignalRoute> RouteSignal(string connectionId, string toParticipantId)
    {
        if (cache.TryGet(visitId, connectionId, toParticipantId, out var route))
        {
            return route;
        }

        var read = await Grain.RouteSignalFor(connectionId, toParticipantId, reference, server);
        cache.Keep(visitId, connectionId, toParticipantId, read);
        return read.Route;
    }
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
