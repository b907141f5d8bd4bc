using System.Diagnostics;
using System.Text.RegularExpressions;
using VideoVisit.Server.Tests.Hardening;
using VideoVisit.Testing;

namespace VideoVisit.Server.Tests.Cluster;

/// <summary>
/// The shipped <c>docker-compose.cluster.yml</c> as Compose itself resolves it (Debian's docker-compose; no
/// engine needed) and the shipped <c>deploy/haproxy.cfg</c> as haproxy itself checks it.
/// </summary>
public sealed class ClusterComposeFileTests
{
    private const string File = "docker-compose.cluster.yml";

    private static readonly Dictionary<string, string?> Secrets = new()
    {
        ["POSTGRES_PASSWORD"] = "pg-0123456789abcdef",
        ["TURN_SHARED_SECRET"] = "turn-0123456789abcdef0123456789abcdef",
        ["GUEST_SIGNING_KEY"] = "guest-0123456789abcdef0123456789abcdef",
        ["DEMO"] = null,
        ["DEMO_SEED"] = null,
        ["DEMO_SIGNING_KEY"] = null,
    };

    [Fact]
    public async Task TheClusterFileRunsTwoClusteredServersOnPostgreSqlAndRedisAfterOneMigrationBehindHaproxy()
    {
        var config = await ComposeFileTests.ComposeConfigAsync(File, Secrets);

        foreach (var service in new[] { "postgres", "redis", "migrate", "videovisit-1", "videovisit-2", "relay", "haproxy" })
        {
            Assert.Matches(new Regex("^  " + Regex.Escape(service) + ":$", RegexOptions.Multiline), config);
        }

        // Both servers and the migration: clustered, on PostgreSQL and Redis, the schema by --migrate only.
        Assert.Equal(3, Count(config, "Cluster__Enabled: \"true\""));
        Assert.Equal(3, Count(config, "Data__Provider: PostgreSql"));
        Assert.Equal(3, Count(config, "Data__MigrateAtStart: \"false\""));
        Assert.Equal(3, Count(config, "ConnectionStrings__Redis: redis:6379"));
        Assert.Equal(2, Count(config, "condition: service_completed_successfully"));
        Assert.Contains("- --migrate", config, StringComparison.Ordinal);
        // The relay on its own, the servers handing out its credentials: the same secret everywhere.
        Assert.Equal(3, Count(config, "Turn__Enabled: \"false\""));
        Assert.Equal(4, Count(config, "Turn__SharedSecret: turn-0123456789abcdef0123456789abcdef"));
        Assert.True(System.IO.File.Exists(Path.Combine(RunningServer.RepositoryRoot, "deploy", "relay", "Dockerfile")));
        // The demo stays off unless asked for, and only one server would seed it.
        Assert.Equal(3, Count(config, "Auth__DevIssuer__Enabled: \"false\""));
        Assert.Equal(3, Count(config, "Demo__Seed: \"false\""));
        Assert.Contains("deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro", config, StringComparison.Ordinal);
        Assert.DoesNotContain("change-me", config, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("POSTGRES_PASSWORD")]
    [InlineData("TURN_SHARED_SECRET")]
    [InlineData("GUEST_SIGNING_KEY")]
    public async Task WithoutASecretComposeRefusesAndNamesIt(string missing)
    {
        var environment = new Dictionary<string, string?>(Secrets) { [missing] = null };

        var (exitCode, _, errors) = await ComposeFileTests.RunComposeConfigAsync(File, environment);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("set " + missing, errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheShippedHaproxyConfigIsValidHasNoStickinessAndChecksEveryServerOfTheComposeFileInBothBackends()
    {
        var path = Path.Combine(RunningServer.RepositoryRoot, "deploy", "haproxy.cfg");
        var start = new ProcessStartInfo("haproxy", ["-c", "-f", path]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var errors = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, "haproxy -c: " + await output + await errors);

        var text = await System.IO.File.ReadAllTextAsync(path);
        var directives = string.Join('\n', text.Split('\n').Select(l => l.Split('#')[0]));
        Assert.DoesNotContain("cookie", directives, StringComparison.Ordinal);
        Assert.DoesNotContain("stick", directives, StringComparison.Ordinal);
        Assert.Contains("balance roundrobin", directives, StringComparison.Ordinal);
        // SignalR's negotiate and the connection that follows it reach one server: source affinity for /hubs/ only.
        Assert.Contains("use_backend hub if { path_beg /hubs/ }", directives, StringComparison.Ordinal);
        Assert.Contains("balance source", directives, StringComparison.Ordinal);
        Assert.Contains("option httpchk GET /readyz", directives, StringComparison.Ordinal);
        Assert.Contains("timeout tunnel", directives, StringComparison.Ordinal);
        Assert.Contains("option redispatch", directives, StringComparison.Ordinal);
        var config = await ComposeFileTests.ComposeConfigAsync(File, Secrets);
        foreach (Match server in Regex.Matches(directives, @"^\s*server (\S+) (\S+):8080 check", RegexOptions.Multiline))
        {
            Assert.Matches(new Regex("^  " + Regex.Escape(server.Groups[2].Value) + ":$", RegexOptions.Multiline), config);
        }

        Assert.Equal(4, Regex.Count(directives, @"^\s*server ", RegexOptions.Multiline));
        Assert.Equal(2, Regex.Count(directives, "option httpchk GET /readyz"));
    }

    /// <summary>How often <paramref name="value"/> occurs in <paramref name="text"/>.</summary>
    internal static int Count(string text, string value) => Regex.Count(text, Regex.Escape(value));
}
