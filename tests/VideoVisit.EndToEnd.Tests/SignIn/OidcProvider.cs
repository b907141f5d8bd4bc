using System.Diagnostics;
using System.Text.Json;
using VideoVisit.Testing;

namespace VideoVisit.EndToEnd.Tests.SignIn;

/// <summary>
/// A real OpenID provider (<c>oidc-provider</c>, OpenID Certified, in Node) on loopback, with the web
/// app registered as a public client and test accounts whose <c>sub</c> are demo people
/// (<c>tests/oidc/provider.mjs</c>). <c>npm ci</c> runs once per machine.
/// </summary>
public sealed class OidcProvider : IAsyncDisposable
{
    private static readonly SemaphoreSlim Install = new(1, 1);
    private readonly Process _process;

    private OidcProvider(Process process, Uri issuer)
    {
        _process = process;
        Issuer = issuer;
    }

    public Uri Issuer { get; }

    public static string Folder { get; } = Path.Combine(RunningServer.RepositoryRoot, "tests", "oidc");

    public static async Task<OidcProvider> StartAsync(Uri appOrigin, IReadOnlyDictionary<string, string> accounts, string audience = "videovisit", int accessTokenSeconds = 3600)
    {
        await EnsureInstalledAsync();
        var port = RunningServer.FreeUdpAndTcpPort();
        var start = new ProcessStartInfo("node", ["provider.mjs"])
        {
            WorkingDirectory = Folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["OIDC_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["APP_ORIGINS"] = appOrigin.GetLeftPart(UriPartial.Authority);
        start.Environment["OIDC_AUDIENCE"] = audience;
        start.Environment["OIDC_ACCESS_TOKEN_TTL"] = accessTokenSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["OIDC_ACCOUNTS"] = JsonSerializer.Serialize(accounts);
        var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("ready ", StringComparison.Ordinal))
            {
                _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
                return new OidcProvider(process, new Uri(line["ready ".Length..]));
            }
        }

        throw new InvalidOperationException("The OpenID provider did not start: " + await errors);
    }

    private static async Task EnsureInstalledAsync()
    {
        await Install.WaitAsync();
        try
        {
            if (Directory.Exists(Path.Combine(Folder, "node_modules", "oidc-provider")))
            {
                return;
            }

            using var npm = Process.Start(new ProcessStartInfo("npm", ["ci", "--no-audit", "--no-fund"]) { WorkingDirectory = Folder, RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = npm.StandardOutput.ReadToEndAsync();
            var errors = npm.StandardError.ReadToEndAsync();
            await npm.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
            Assert.True(npm.ExitCode == 0, "npm ci in tests/oidc failed: " + await output + await errors);
        }
        finally
        {
            Install.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
    }
}
