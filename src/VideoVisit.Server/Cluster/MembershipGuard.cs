using Microsoft.Extensions.Options;
using Orleans.Clustering.Redis;
using Orleans.Configuration;
using Orleans.Runtime;
using VideoVisit.Server.Data;

namespace VideoVisit.Server.Cluster;

/// <summary>
/// Stops this server when the cluster's membership table (in Redis) no longer has it: Redis restarted
/// empty, or its data was lost. The servers then run on, but none of them is in the table, so none can
/// be declared dead any more: after the next crash, the crashed server's visits would stay "moving to
/// another server" and its people's seats would never start their grace. Orleans stops a server that the
/// table says is dead; it does not notice one the table has forgotten. A server that finds itself
/// missing from two reads in a row stops at once, as Orleans stops a dead one (a failure exit, with
/// <see cref="ForgottenMessage"/>); its people reconnect through the load balancer as after a crash, and
/// the process manager starts it again, when it joins the table anew. A read that fails (Redis away) is
/// no evidence either way.
/// </summary>
internal sealed partial class MembershipGuard(
    IMembershipTable table,
    SharedRedis redis,
    IOptions<RedisClusteringOptions> clustering,
    IOptions<ClusterOptions> cluster,
    ILocalSiloDetails silo,
    IClusterMembershipService membership,
    TimeProvider time,
    ILogger<MembershipGuard> log) : BackgroundService
{
    /// <summary>What the process says as it ends (the exit status is SIGABRT's, 134).</summary>
    public const string ForgottenMessage = "VideoVisit: this server is missing from the cluster's membership table; start it again to rejoin.";

    private static readonly TimeSpan Every = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var missing = 0;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(Every, time, stoppingToken);
                if (membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress) != SiloStatus.Active)
                {
                    // Joining, stopping, or already known dead (Orleans stops it itself).
                    missing = 0;
                    continue;
                }

                bool present;
                try
                {
                    present = await IsInTableAsync(stoppingToken);
                }
#pragma warning disable CA1031 // Redis away or slow: not evidence that the table forgot this server.
                catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
                {
                    ReadFailed(log, ex);
                    continue;
                }

                missing = present ? 0 : missing + 1;
                if (missing >= 2)
                {
                    Forgotten(log, silo.SiloAddress);
                    // As Orleans stops a server the table says is dead: at once. A graceful stop would hang in
                    // Orleans, marking this server as leaving in a table that no longer has it. Nothing is lost:
                    // every acknowledged change is already stored, as when a server is killed.
                    Environment.FailFast(ForgottenMessage);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>The table's key is in Redis (a restart without data removes it whole) and has this server's row.</summary>
    private async Task<bool> IsInTableAsync(CancellationToken cancellationToken)
    {
        var key = clustering.Value.CreateRedisKey(cluster.Value);
        var connection = await redis.GetAsync().WaitAsync(cancellationToken);
        if (!await connection.GetDatabase().KeyExistsAsync(key))
        {
            return false;
        }

        var row = await table.ReadRowAsync(silo.SiloAddress, cancellationToken);
        return row.Members.Any(m => m.Item1.SiloAddress.Equals(silo.SiloAddress));
    }

    [LoggerMessage(EventId = 4105, Level = LogLevel.Critical, Message = "This server ({Silo}) is missing from the cluster's membership table (Redis restarted empty or lost its data): without it no server can be declared dead. Stopping now, to join the cluster anew when started again")]
    private static partial void Forgotten(ILogger logger, SiloAddress silo);

    [LoggerMessage(EventId = 4106, Level = LogLevel.Debug, Message = "The cluster's membership table could not be read; trying again")]
    private static partial void ReadFailed(ILogger logger, Exception exception);
}
