using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Tests.Visits;

public sealed class PrecheckReportTests
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
}
