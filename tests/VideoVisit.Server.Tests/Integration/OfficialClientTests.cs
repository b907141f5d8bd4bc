using System.Diagnostics;
using VideoVisit.Testing;

namespace VideoVisit.Server.Tests.Integration;

/// <summary>The official <c>@microsoft/signalr</c> client, run by Node, against the real server.</summary>
public sealed class OfficialClientTests
{
    private static readonly string NodeFolder = Path.Combine(RunningServer.RepositoryRoot, "tests", "VideoVisit.Server.Tests", "node");
    private static readonly SemaphoreSlim Install = new(1, 1);

    [Fact]
    public async Task OfficialJavaScriptClientCompletesTheOneToOneVisitWithOfferAnswerAndIce()
    {
        await EnsurePackagesAsync();
        await using var server = await VisitServer.StartAsync();

        var (exitCode, output) = await RunAsync("node", ["one-to-one.mjs", server.BaseAddress.ToString()], TimeSpan.FromSeconds(60));

        Assert.True(exitCode == 0, output);
        Assert.Contains("OK visit=", output, StringComparison.Ordinal);
        Assert.Contains("ice=10+10", output, StringComparison.Ordinal);
    }

    /// <summary>A fresh clone has no node_modules: install exactly what the lock file says.</summary>
    internal static async Task EnsurePackagesAsync()
    {
        await Install.WaitAsync(TimeSpan.FromMinutes(3));
        try
        {
            if (File.Exists(Path.Combine(NodeFolder, "node_modules", "@microsoft", "signalr", "package.json")))
            {
                return;
            }

            var (exitCode, output) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], TimeSpan.FromMinutes(3));
            Assert.True(exitCode == 0, "npm ci failed: " + output);
        }
        finally
        {
            Install.Release();
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = NodeFolder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish in {timeout}: {await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
