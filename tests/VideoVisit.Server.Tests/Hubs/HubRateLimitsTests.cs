using VideoVisit.Server.Hubs;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Tests.Hubs;

public sealed class HubRateLimitsTests
{
    [Fact]
    public void EachConnectionAndKindHasItsOwnBurstAndTheRestAreRefused()
    {
        using var limits = new HubRateLimits(new VisitOptions { ChatBurst = 5, ChatPerSecond = 1, PrecheckBurst = 2, PrechecksPerMinute = 1 });

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
        using var limits = new HubRateLimits(new VisitOptions { SignalBurst = 10, SignalsPerSecond = 50 });
        Assert.Equal(10, Enumerable.Range(0, 20).Count(_ => Takes(limits, "a", HubLimit.Signal)));

        await Task.Delay(TimeSpan.FromMilliseconds(450));

        // 50 a second refill as 5 every 100 ms: after ~0.45 s, 10 (the burst) at most, 10 at least minus a tick or two.
        Assert.InRange(Enumerable.Range(0, 20).Count(_ => Takes(limits, "a", HubLimit.Signal)), 5, 10);
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
