namespace VideoVisit.EndToEnd.Tests.Browsers;

/// <summary>Where screenshots and reports go: <c>$VIDEOVISIT_TEST_RESULTS</c>, else <c>test-results/</c> at the repo root.</summary>
public static class Artifacts
{
    public static string Directory(params string[] parts)
    {
        var root = Environment.GetEnvironmentVariable("VIDEOVISIT_TEST_RESULTS");
        if (string.IsNullOrWhiteSpace(root))
        {
            root = Path.Combine(VideoVisit.Testing.RunningServer.RepositoryRoot, "test-results");
        }

        var path = Path.Combine([root, .. parts]);
        System.IO.Directory.CreateDirectory(path);
        return path;
    }
}
