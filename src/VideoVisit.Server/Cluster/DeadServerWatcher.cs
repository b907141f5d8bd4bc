using Orleans.Runtime;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Cluster;

/// <summary>
/// When the cluster declares a server dead, the visits this server's connections are in are asked
/// for their state. A visit whose grain ran on the dead server comes back to life on a live one from
/// the store (nobody else might call it: the people on the dead server are gone, the others wait) and
/// checks its seats' servers as it starts; the visits running here are told at once. Either way, the
/// seats held through the dead server start their reconnection grace, so the others see them as
/// reconnecting instead of as present.
/// </summary>
internal sealed partial class DeadServerWatcher(IClusterMembershipService membership, VisitService visits, ActiveVisits active, RouteCache routes, IGrainFactory grains, ILogger<DeadServerWatcher> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var dead = new HashSet<SiloAddress>();
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stoppingToken))
            {
                var newlyDead = snapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead && dead.Add(m.SiloAddress)).ToList();
                if (newlyDead.Count == 0)
                {
                    continue;
                }

                // The grains the dead server ran lost the list of servers to tell of their changes.
                routes.ForgetAll();

                // The visits running here put the dead server's seats into grace at once.
                foreach (var visitId in active.VisitIds.ToList())
                {
                    try
                    {
                        await grains.GetGrain<IVisitGrain>(visitId).ServersChanged();
                    }
#pragma warning disable CA1031 // One visit that cannot be reached must not keep the others from hearing it.
                    catch (Exception ex)
#pragma warning restore CA1031
                    {
                        NotTold(log, visitId, ex);
                    }
                }

                // The cluster may need a moment more to let go of the dead server's grains: a visit that
                // did not answer is asked again, a few times.
                var (answered, total) = await visits.TouchVisitsOfConnectionsAsync();
                for (var attempt = 0; answered < total && attempt < 5; attempt++)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                    (answered, total) = await visits.TouchVisitsOfConnectionsAsync();
                }

                ServersDead(log, newlyDead.Count, answered, total);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 4104, Level = LogLevel.Warning, Message = "Visit {VisitId} could not be told that a server died")]
    private static partial void NotTold(ILogger logger, string visitId, Exception exception);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Information, Message = "{Count} servers declared dead: {Answered} of the {Visits} visits this server's connections are in answered")]
    private static partial void ServersDead(ILogger logger, int count, int answered, int visits);
}
