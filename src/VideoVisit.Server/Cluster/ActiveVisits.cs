using System.Collections.Concurrent;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Cluster;

/// <summary>
/// The visits whose grain is active in this process. A signal's route and a visit's status are read
/// from the room here, under the room's own lock, instead of through an Orleans call: signalling is
/// the hot path, and reading the room directly sees exactly what the grain's next turn would (each
/// change is applied whole under that lock). Everything that changes a visit still goes through its
/// grain. On the embedded single server every visit is here; in a cluster, those this server runs.
/// </summary>
internal sealed class ActiveVisits
{
    private readonly ConcurrentDictionary<string, IVisit> _visits = new(StringComparer.Ordinal);

    public IEnumerable<string> VisitIds => _visits.Keys;

    public bool TryGet(string visitId, out IVisit visit) => _visits.TryGetValue(visitId, out visit!);

    public void Activated(string visitId, VisitHost host, IVisit grain) => _visits[visitId] = new ReadsHere(host, grain);

    public void Deactivated(string visitId, VisitHost host)
    {
        if (_visits.TryGetValue(visitId, out var visit) && visit is ReadsHere here && here.Host == host)
        {
            _visits.TryRemove(new KeyValuePair<string, IVisit>(visitId, visit));
        }
    }

    /// <summary>Reads (a signal's route, the visit's status) from the room in this process; changes through the grain.</summary>
    private sealed class ReadsHere(VisitHost host, IVisit grain) : GrainCalls<IVisit>(grain)
    {
        public VisitHost Host => host;

        public override Task<SignalRoute> RouteSignal(string connectionId, string toParticipantId) => host.RouteSignal(connectionId, toParticipantId);

        public override Task<VisitInfo?> Info() => host.Info();
    }
}
