using System.Diagnostics;
using VideoVisit.Testing;

namespace VideoVisit.Server.Tests.Hardening;

/// <summary>The shipped <c>docker-compose.yml</c>, as Compose itself resolves it (Debian's docker-compose; no engine needed).</summary>
public sealed class ComposeFileTests
{
    [Fact]
    public async Task TheDefaultComposeFileHasNoKnownSecretAndNoDemo()
    {
        var config = await ComposeConfigAsync(new Dictionary<string, string?> { ["TURN_SHARED_SECRET"] = null, ["DEMO"] = null, ["DEMO_SEED"] = null });

        Assert.Contains("Auth__DevIssuer__Enabled: \"false\"", config, StringComparison.Ordinal);
        Assert.Contains("Demo__Seed: \"false\"", config, StringComparison.Ordinal);
        Assert.Contains("Turn__SharedSecret: ''", config, StringComparison.Ordinal);
        Assert.DoesNotContain("change-me", config, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("static-auth-secret=", config.Replace("static-auth-secret=\"$$TURN_SHARED_SECRET\"", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheDemoAndASharedSecretAreExplicitOptIns()
    {
        var config = await ComposeConfigAsync(new Dictionary<string, string?> { ["TURN_SHARED_SECRET"] = "0123456789abcdef0123456789abcdef", ["DEMO"] = "true", ["DEMO_SEED"] = "true" });

        Assert.Contains("Auth__DevIssuer__Enabled: \"true\"", config, StringComparison.Ordinal);
        Assert.Contains("Demo__Seed: \"true\"", config, StringComparison.Ordinal);
        Assert.Contains("Turn__SharedSecret: 0123456789abcdef0123456789abcdef", config, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheKeycloakProfileImportsTheRealmAndSetsNoAdminPasswordOfItsOwn()
    {
        var config = await ComposeConfigAsync(new Dictionary<string, string?> { ["KEYCLOAK_ADMIN_PASSWORD"] = null }, "--profile", "keycloak");

        Assert.Contains("start-dev", config, StringComparison.Ordinal);
        Assert.Contains("videovisit-realm.json:/opt/keycloak/data/import/videovisit-realm.json:ro", config, StringComparison.Ordinal);
        Assert.Contains("KC_BOOTSTRAP_ADMIN_PASSWORD: ''", config, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(RunningServer.RepositoryRoot, "deploy", "keycloak", "videovisit-realm.json")));
    }

    private static Task<string> ComposeConfigAsync(IDictionary<string, string?> environment, params string[] options) =>
        ComposeConfigAsync("docker-compose.yml", environment, options);

    /// <summary><c>docker-compose -f &lt;file&gt; config</c> with these variables set (a null one unset); fails with Compose's message when it refuses.</summary>
    internal static async Task<string> ComposeConfigAsync(string file, IDictionary<string, string?> environment, params string[] options)
    {
        var (exitCode, output, errors) = await RunComposeConfigAsync(file, environment, options);
        Assert.True(exitCode == 0, "docker-compose config failed: " + errors);
        return output;
    }

    internal static async Task<(int ExitCode, string Output, string Errors)> RunComposeConfigAsync(string file, IDictionary<string, string?> environment, params string[] options)
    {
        var start = new ProcessStartInfo("docker-compose", ["-f", Path.Combine(RunningServer.RepositoryRoot, file), .. options, "config"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RunningServer.RepositoryRoot,
        };
        foreach (var (key, value) in environment)
        {
            if (value is null)
            {
                start.Environment.Remove(key);
            }
            else
            {
                start.Environment[key] = value;
            }
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var errors = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await errors);
    }
}
