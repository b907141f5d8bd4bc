using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Tests.Visits;

public sealed class PrecheckAndRateLimitTests
{
    [Fact]
    public void PrecheckSummaryUsesTheReportsOwnSummaryWhenGiven()
    {
        var summary = PrecheckReports.Summarize(World.Payload("{\"state\":\"ready\",\"summary\":\"All good\"}"), World.Start);

        Assert.Equal("ready", summary.State);
        Assert.Equal("All good", summary.Summary);
    }

    [Fact]
    public void PrecheckSummaryDescribesEachCheckAndIgnoresUnknownFields()
    {
        var summary = PrecheckReports.Summarize(World.Payload("{\"state\":\"relay-only\",\"camera\":{\"state\":\"ok\"},\"popups\":false,\"network\":\"relay-only\",\"extra\":[1,2]}"), World.Start);

        Assert.Equal("camera: ok, popups: problem, network: relay-only", summary.Summary);
    }

    [Fact]
    public void PrecheckStateThatIsNotASimpleTokenBecomesUnknownAndLongTextIsCut()
    {
        var summary = PrecheckReports.Summarize(World.Payload("{\"state\":\"<script>\",\"summary\":\"" + new string('s', 500) + "\"}"), World.Start);

        Assert.Equal("unknown", summary.State);
        Assert.Equal(200, summary.Summary.Length);
    }

    [Fact]
    public void SignalRateLimitAllowsABurstThenRefillsOverTime()
    {
        var time = new ManualTime(World.Start);
        var limiter = new SignalRateLimiter(new VisitOptions { SignalBurst = 10, SignalsPerSecond = 5 }, time);

        var burst = Enumerable.Range(0, 12).Count(_ => limiter.TryTake());
        time.Advance(TimeSpan.FromSeconds(1));
        var afterOneSecond = Enumerable.Range(0, 12).Count(_ => limiter.TryTake());

        Assert.Equal(10, burst);
        Assert.Equal(5, afterOneSecond);
    }
}
