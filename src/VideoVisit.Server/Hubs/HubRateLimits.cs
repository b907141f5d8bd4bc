using System.Threading.RateLimiting;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Hubs;

/// <summary>What a connection spends tokens on; each has its own bucket.</summary>
internal enum HubLimit
{
    Signal,
    Chat,
    Precheck,
}

/// <summary>
/// Token buckets per connection and kind of call (<see cref="System.Threading.RateLimiting"/>): a burst at
/// once, then a sustained rate. One partitioned limiter replenishes every bucket from a single timer and
/// forgets the buckets of connections that went quiet. A caller over a limit gets a
/// <see cref="VisitException"/>; their connection and everyone else's carry on.
/// </summary>
internal sealed class HubRateLimits : IDisposable
{
    /// <summary>How often the partitioned limiter replenishes its buckets.</summary>
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);

    private readonly PartitionedRateLimiter<(string ConnectionId, HubLimit Limit)> _limiter;

    public HubRateLimits(VisitOptions options)
    {
        var signal = Bucket(options.SignalBurst, options.SignalsPerSecond, TimeSpan.FromSeconds(1));
        var chat = Bucket(options.ChatBurst, options.ChatPerSecond, TimeSpan.FromSeconds(1));
        var precheck = Bucket(options.PrecheckBurst, options.PrechecksPerMinute, TimeSpan.FromMinutes(1));
        _limiter = PartitionedRateLimiter.Create<(string ConnectionId, HubLimit Limit), (string, HubLimit)>(key =>
            RateLimitPartition.GetTokenBucketLimiter(key, k => k.Item2 switch
            {
                HubLimit.Signal => signal,
                HubLimit.Chat => chat,
                _ => precheck,
            }));
    }

    /// <summary>Takes one token or refuses with a message the caller can act on.</summary>
    public void Take(string connectionId, HubLimit limit)
    {
        using var lease = _limiter.AttemptAcquire((connectionId, limit));
        if (!lease.IsAcquired)
        {
            throw new VisitException(VisitError.RateLimited, limit switch
            {
                HubLimit.Signal => "Too many call signals: slow down.",
                HubLimit.Chat => "Too many chat messages: wait a moment before sending more.",
                _ => "Too many device check reports: wait a moment before sending another.",
            });
        }
    }

    public void Dispose() => _limiter.Dispose();

    /// <summary>
    /// <paramref name="perWindow"/> tokens per <paramref name="window"/>, handed out in steps no finer than
    /// the replenishment tick (50 a second becomes 5 every 100 ms; 6 a minute, 1 every 10 s).
    /// </summary>
    private static TokenBucketRateLimiterOptions Bucket(int burst, int perWindow, TimeSpan window)
    {
        var period = window / perWindow;
        var tokens = 1;
        if (period < Tick)
        {
            tokens = (int)Math.Max(1, Math.Round(perWindow * (Tick / window)));
            period = Tick;
        }

        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = tokens,
            ReplenishmentPeriod = period,
            QueueLimit = 0,
            AutoReplenishment = true,
        };
    }
}
