using VideoVisit.Server.Hubs;
using VideoVisit.Server.Tests.Visits;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Tests.Hubs;

public sealed class HubRateLimitsTests
{
    [Fact]
    public void EachConnectionAndKindHasItsOwnBurstAndTheRestAreRefused()
    {
        var limits = new HubRateLimits(new VisitOptions { ChatBurst = 5, ChatPerSecond = 1, PrecheckBurst = 2, PrechecksPerMinute = 1 });

        var chatTaken = Enumerable.Range(0, 8).Count(_ => Takes(limits, "a", HubLimit.Chat));
        var precheckTaken = Enumerable.Range(0, 8).Count(_ => Takes(limits, "a", HubLimit.Precheck));
        var otherConnection = Enumerable.Range(0, 8).Count(_ => Takes(limits, "b", HubLimit.Chat));

        Assert.Equal(5, chatTaken);
        Assert.Equal(2, precheckTaken);
        Assert.Equal(5, otherConnection);
        var refused = Assert.Throws<VisitException>(() => limits.Take("a", HubLimit.Chat));
        Assert.Equal(VisitError.RateLimited, refused.Error);
        Assert.Contains("chat", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignalsRefillAtTheirRate()
    {
        var limits = new HubRateLimits(new VisitOptions { SignalBurst = 10, SignalsPerSecond = 50 });
        Assert.Equal(10, Enumerable.Range(0, 20).Count(_ => Takes(limits, "a", HubLimit.Signal)));

        // A full 0.1 s on the monotonic clock the limits read. Task.Delay alone may end a fraction of a
        // millisecond early (its timer counts whole milliseconds): once in CI it left 4 signals, not 5.
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromMilliseconds(100))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100) - waited.Elapsed + TimeSpan.FromMilliseconds(1));
        }

        // 50 a second: after 0.1 s (and whatever the machine adds), 5 at least and never more than the burst.
        Assert.InRange(Enumerable.Range(0, 20).Count(_ => Takes(limits, "a", HubLimit.Signal)), 5, 10);
    }

    [Fact]
    public void ABucketRefillsByTheTimeSinceItWasLastAskedUpToItsBurst()
    {
        var clock = new ManualTime(DateTimeOffset.Parse("2026-12-05T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var limits = new HubRateLimits(new VisitOptions { SignalBurst = 10, SignalsPerSecond = 50, PrecheckBurst = 2, PrechecksPerMinute = 6 }, clock);
        Assert.Equal(10, Enumerable.Range(0, 20).Count(_ => Takes(limits, "a", HubLimit.Signal)));

        clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(5, Enumerable.Range(0, 20).Count(_ => Takes(limits, "a", HubLimit.Signal)));

        clock.Advance(TimeSpan.FromMilliseconds(10));
        Assert.Equal(0, Enumerable.Range(0, 20).Count(_ => Takes(limits, "a", HubLimit.Signal)));

        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(10, Enumerable.Range(0, 20).Count(_ => Takes(limits, "a", HubLimit.Signal)));

        // Six a minute: one every ten seconds once the burst is spent.
        Assert.Equal(2, Enumerable.Range(0, 5).Count(_ => Takes(limits, "a", HubLimit.Precheck)));
        clock.Advance(TimeSpan.FromSeconds(9));
        Assert.False(Takes(limits, "a", HubLimit.Precheck));
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.True(Takes(limits, "a", HubLimit.Precheck));
        Assert.False(Takes(limits, "a", HubLimit.Precheck));
    }

    [Fact]
    public void AClosedConnectionsBucketsAreForgotten()
    {
        var limits = new HubRateLimits(new VisitOptions { ChatBurst = 1, ChatPerSecond = 1 });
        Assert.True(Takes(limits, "a", HubLimit.Chat));
        Assert.True(Takes(limits, "b", HubLimit.Chat));
        Assert.Equal(2, limits.Connections);

        limits.Forget("a");

        Assert.Equal(1, limits.Connections);
    }

    private static bool Takes(HubRateLimits limits, string connection, HubLimit limit)
    {
        try
        {
            limits.Take(connection, limit);
            return true;
        }
        catch (VisitException)
        {
            return false;
        }
    }
}
