using System.Collections.Concurrent;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Cluster;

/// <summary>A server's cache of signal routes: the visit's grain calls it before it tells anyone of a change.</summary>
[Alias("VideoVisit.VisitRoutes")]
public interface IVisitRoutes : IGrainObserver
{
    /// <summary>Routes of <paramref name="visitId"/> read before <paramref name="epoch"/> are no longer valid.</summary>
    [Alias("Forget")]
    Task Forget(string visitId, long epoch);
}

/// <summary>A signal's route as the visit's grain read it, with the grain's epoch at that moment.</summary>
[Orleans.Immutable]
public sealed record EpochRoute(SignalRoute Route, long Epoch);

/// <summary>
/// The signal routes this server read from visits that run on other servers, so a signal between two
/// admitted people costs no grain call after the first. Exact, not eventually right: the grain counts
/// its changes (the epoch, moved in the same turn as the change), and before a change is told to
/// anyone, or the caller answered, every server that read a route of that visit is told to forget the
/// routes read before it; a route whose read raced with that (an older epoch arriving late) is not
/// kept. When a server dies, the grains it ran lose the list of servers to tell, so every server then
/// forgets every route; a grain that leaves memory tells them first. A route nobody used for a while
/// is dropped, which also bounds what a server that could not be told keeps.
/// </summary>
internal sealed class RouteCache : IVisitRoutes, IDisposable
{
    private static readonly TimeSpan Unused = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<string, Routes> _visits = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ITimer _prune;

    public RouteCache(TimeProvider time)
    {
        _time = time;
        _prune = time.CreateTimer(_ => Prune(), null, Unused, Unused);
    }

    private sealed class Routes
    {
        public readonly Lock Gate = new();
        public readonly Dictionary<(string Connection, string To), SignalRoute> Map = [];
        public long Floor;
        public long UsedAt;
    }

    public Task Forget(string visitId, long epoch)
    {
        var routes = _visits.GetOrAdd(visitId, _ => new Routes());
        lock (routes.Gate)
        {
            routes.Floor = Math.Max(routes.Floor, epoch);
            routes.Map.Clear();
            routes.UsedAt = _time.GetTimestamp();
        }

        return Task.CompletedTask;
    }

    /// <summary>Every route of every visit: a server died, and the grains it ran forgot whom to tell.</summary>
    public void ForgetAll() => _visits.Clear();

    public bool TryGet(string visitId, string connectionId, string toParticipantId, out SignalRoute route)
    {
        route = null!;
        if (!_visits.TryGetValue(visitId, out var routes))
        {
            return false;
        }

        lock (routes.Gate)
        {
            routes.UsedAt = _time.GetTimestamp();
            return routes.Map.TryGetValue((connectionId, toParticipantId), out route!);
        }
    }

    /// <summary>Keeps a route read at <paramref name="read"/>'s epoch, unless a change since has been told here.</summary>
    public void Keep(string visitId, string connectionId, string toParticipantId, EpochRoute read)
    {
        var routes = _visits.GetOrAdd(visitId, _ => new Routes());
        lock (routes.Gate)
        {
            if (read.Epoch >= routes.Floor)
            {
                routes.Map[(connectionId, toParticipantId)] = read.Route;
                routes.UsedAt = _time.GetTimestamp();
            }
        }
    }

    private void Prune()
    {
        foreach (var (visitId, routes) in _visits)
        {
            lock (routes.Gate)
            {
                if (_time.GetElapsedTime(routes.UsedAt) < Unused)
                {
                    continue;
                }
            }

            _visits.TryRemove(new KeyValuePair<string, Routes>(visitId, routes));
        }
    }

    public void Dispose() => _prune.Dispose();
}
