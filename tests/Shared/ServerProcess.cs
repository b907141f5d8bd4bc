using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using VideoVisit.Server.Tests.Integration;

namespace VideoVisit.Testing;

/// <summary>
/// The server as operators run it: <c>dotnet VideoVisit.Server.dll</c> in its own process, with settings
/// on the command line, on an HTTP port chosen when it is made (so a load balancer's backend address and
/// a restart keep it). A test can kill it with SIGKILL (nothing in the process gets to run) and start it
/// again on the same settings; <see cref="Output"/> keeps what every run printed, for failure messages.
/// </summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <summary>A start on a loaded 2-core machine (JIT, migrations, the demo seed, joining a cluster).</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    private readonly List<string> _arguments;
    private readonly StringBuilder _earlier = new();
    private OwnedProcess? _process;
    private TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _runs;

    private ServerProcess(string name, IReadOnlyDictionary<string, string?> settings, int port)
    {
        Name = name;
        Settings = settings;
        Port = port;
        BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = Timeout };
        _arguments = ["--urls", BaseAddress.ToString().TrimEnd('/')];
        foreach (var (key, value) in settings)
        {
            _arguments.Add("--" + key);
            _arguments.Add(value ?? "");
        }
    }

    /// <summary>A name for messages ("server 2").</summary>
    public string Name { get; }

    /// <summary>Every setting it runs with (the fixture's defaults and the caller's).</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; }

    public int Port { get; }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    /// <summary>Whether the current run is alive.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The operating system's id of the current run.</summary>
    public int ProcessId => _process?.Id ?? 0;

    /// <summary>What every run printed so far (standard output and error), each run under its own heading.</summary>
    public string Output
    {
        get
        {
            lock (_earlier)
            {
                return _earlier + (_process?.Output ?? "");
            }
        }
    }

    /// <summary>The last <paramref name="lines"/> lines of <see cref="Output"/>, for an assertion message.</summary>
    public string Tail(int lines = 60)
    {
        var all = Output.Split('\n');
        return $"--- {Name} ({BaseAddress}, {(IsRunning ? "running" : "not running")}), last {Math.Min(lines, all.Length)} lines ---\n" + string.Join('\n', all.TakeLast(lines));
    }

    /// <summary>The server's build output beside these tests' (same configuration).</summary>
    public static string ServerDll
    {
        get
        {
            var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<configuration>/net10.0/
            return Path.Combine(RunningServer.RepositoryRoot, "src", "VideoVisit.Server", "bin", configuration, "net10.0", "VideoVisit.Server.dll");
        }
    }

    /// <summary>The settings every server process gets unless the caller says otherwise: no relay, warnings, and the line that says where it listens.</summary>
    public static Dictionary<string, string?> Defaults() => new()
    {
        ["Turn:Enabled"] = "false",
        ["Serilog:MinimumLevel:Default"] = "Warning",
        ["Serilog:MinimumLevel:Override:Microsoft.Hosting.Lifetime"] = "Information",
    };

    /// <summary>Runs the server with <paramref name="arguments"/> to the end (e.g. <c>--migrate</c>); returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunToEndAsync(IEnumerable<string> arguments, TimeSpan timeout)
    {
        using var process = new OwnedProcess(Process.Start(Info(arguments))!);
        try
        {
            await process.WaitForExitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill();
            throw new TimeoutException($"The server did not finish within {timeout.TotalSeconds} s: {process.Output}");
        }

        return (process.ExitCode, process.Output);
    }

    /// <summary>Starts a server process on a free port with <see cref="Defaults"/> overlaid by <paramref name="settings"/> (a null value removes a default).</summary>
    public static Task<ServerProcess> StartAsync(IDictionary<string, string?> settings, string name = "server") =>
        StartAsync(settings, FreePorts.One(), name);

    public static async Task<ServerProcess> StartAsync(IDictionary<string, string?> settings, int port, string name)
    {
        var server = Create(settings, port, name);
        try
        {
            await server.StartAgainAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Made but not started (<see cref="StartAgainAsync"/> starts it), for starting several at once.</summary>
    public static ServerProcess Create(IDictionary<string, string?> settings, int port, string name)
    {
        var merged = Defaults();
        foreach (var (key, value) in settings)
        {
            if (value is null)
            {
                merged.Remove(key);
            }
            else
            {
                merged[key] = value;
            }
        }

        return new ServerProcess(name, merged, port);
    }

    /// <summary>Starts the process (again, after <see cref="KillAsync"/>) on the same port and settings, and waits until it listens.</summary>
    public async Task StartAgainAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException(Name + " is running");
        }

        lock (_earlier)
        {
            if (_process is not null)
            {
                _earlier.Append(_process.Output);
                _process.Dispose();
            }

            _runs++;
            _earlier.AppendLine(CultureInfo.InvariantCulture, $"=== {Name}: run {_runs} at {DateTime.UtcNow:HH:mm:ss.fff} ===");
            _listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
            var listening = _listening;
            _process = new OwnedProcess(Process.Start(Info(_arguments))!, line =>
            {
                if (ListeningLine().Match(line) is { Success: true } match)
                {
                    listening.TrySetResult(new Uri(match.Groups[1].Value));
                }
            });
        }

        var exited = WaitExitedAsync(_process);
        var first = await Task.WhenAny(_listening.Task, exited, Task.Delay(StartTimeout));
        if (first != _listening.Task)
        {
            var why = first == exited ? "exited at start" : $"did not listen within {StartTimeout.TotalSeconds} s";
            _process.Kill();
            throw new InvalidOperationException($"{Name} {why}.\n{Tail(120)}");
        }
    }

    private static async Task WaitExitedAsync(OwnedProcess process)
    {
        while (!process.HasExited)
        {
            await Task.Delay(200);
        }
    }

    /// <summary>SIGKILL: the process ends at once, with no shutdown code run (as <c>kill -9</c>).</summary>
    public async Task KillAsync()
    {
        if (_process is null)
        {
            return;
        }

        _process.Kill();
        await _process.WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>SIGTERM, as for a planned stop (a patch, a scale-in); then <see cref="WaitStoppedAsync"/>.</summary>
    public async Task<int> StopAsync(TimeSpan within)
    {
        var process = _process ?? throw new InvalidOperationException(Name + " was never started");
        process.Terminate();
        return await WaitStoppedAsync(within);
    }

    /// <summary>Waits for the process to end by itself; returns its exit code, or fails after <paramref name="within"/>.</summary>
    public async Task<int> WaitStoppedAsync(TimeSpan within)
    {
        var process = _process ?? throw new InvalidOperationException(Name + " was never started");
        try
        {
            await process.WaitForExitAsync(within);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{Name} was still running after {within.TotalSeconds} s.\n{Tail(80)}", e);
        }

        return process.ExitCode;
    }

    /// <summary>Kills it (SIGKILL) and starts it again on the same port and settings.</summary>
    public async Task RestartAsync()
    {
        await KillAsync();
        await StartAgainAsync();
    }

    /// <summary>The process answers <c>GET /readyz</c> (the database answers).</summary>
    public async Task<bool> IsReadyAsync()
    {
        try
        {
            using var response = await Http.GetAsync("/readyz");
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private static ProcessStartInfo Info(IEnumerable<string> arguments)
    {
        var dll = ServerDll;
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException("Build the server first (dotnet build VideoVisit.sln -c Release)", dll);
        }

        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    /// <summary>A development-issuer token for a demo person (in a cluster every server shares the issuer's key, so any server's token works on all).</summary>
    public async Task<string> TokenAsync(string personId)
    {
        using var response = await Http.PostAsJsonAsync("/api/dev/token", new { personId }).WaitAsync(Timeout);
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync().WaitAsync(Timeout));
        return body.RootElement.GetProperty("accessToken").GetString()!;
    }

    /// <summary>A hub connection (official .NET SignalR client over WebSockets) to this server.</summary>
    public async Task<HubClient> ConnectAsync(string personId) =>
        await HubClient.ConnectAsync(BaseAddress, await TokenAsync(personId)).WaitAsync(Timeout);

    /// <summary>A hub connection to this server with a token from elsewhere (another server of the cluster).</summary>
    public async Task<HubClient> ConnectWithTokenAsync(string token) =>
        await HubClient.ConnectAsync(BaseAddress, token).WaitAsync(Timeout);

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (_process is not null)
        {
            _process.Kill();
            try
            {
                await _process.WaitForExitAsync(TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
                // SIGKILL was sent; the OS reaps it
            }

            _process.Dispose();
        }
    }
}

/// <summary>
/// Several server processes as one cluster: one PostgreSQL database (migrated once with <c>--migrate</c>,
/// as operators do, then the servers start with <c>Data:MigrateAtStart=false</c>), one Redis, a cluster id
/// of their own, and per server a free HTTP port and a free silo port (<c>Cluster:SiloPort</c>) advertised
/// on 127.0.0.1. The development issuer's and the guests' signing keys are shared, so a token from one
/// server is good on all (as behind a load balancer). The first server starts alone (it writes the demo
/// seed); the others start together.
/// </summary>
public sealed class ServerCluster : IAsyncDisposable
{
    private ServerCluster(IReadOnlyList<ServerProcess> servers, string database, string clusterId)
    {
        Servers = servers;
        Database = database;
        ClusterId = clusterId;
    }

    public IReadOnlyList<ServerProcess> Servers { get; }

    public ServerProcess this[int index] => Servers[index];

    public string Database { get; }

    public string ClusterId { get; }

    /// <summary>The settings of a cluster member before its own ports (the caller's settings overlay them).</summary>
    public static Dictionary<string, string?> ClusterSettings(PostgresInstance postgres, RedisInstance redis, string database, string clusterId, IDictionary<string, string?>? settings = null)
    {
        var merged = new Dictionary<string, string?>
        {
            ["Data:Provider"] = "PostgreSql",
            ["ConnectionStrings:VideoVisit"] = postgres.ConnectionString(database),
            ["ConnectionStrings:Redis"] = redis.ConnectionString,
            ["Data:MigrateAtStart"] = "false",
            ["Cluster:Enabled"] = "true",
            ["Cluster:ClusterId"] = clusterId,
            ["Cluster:AdvertisedAddress"] = "127.0.0.1",
            ["Auth:DevIssuer:SigningKey"] = "dev-issuer-key-" + clusterId + "-0123456789abcdef",
            ["Auth:GuestSigningKey"] = "guest-key-" + clusterId + "-0123456789abcdef",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            merged[key] = value;
        }

        return merged;
    }

    public static async Task<ServerCluster> StartAsync(PostgresInstance postgres, RedisInstance redis, int count, IDictionary<string, string?>? settings = null)
    {
        var database = PostgresInstance.NewDatabaseName();
        var clusterId = "test-" + Guid.NewGuid().ToString("N")[..12];
        var shared = ClusterSettings(postgres, redis, database, clusterId, settings);
        var (exitCode, output) = await ServerProcess.RunToEndAsync(
            ["--migrate", "--Data:Provider", "PostgreSql", "--ConnectionStrings:VideoVisit", postgres.ConnectionString(database)], ServerProcess.StartTimeout);
        if (exitCode != 0)
        {
            throw new InvalidOperationException("--migrate failed: " + output);
        }

        var ports = FreePorts.Many(2 * count);
        var servers = new List<ServerProcess>();
        for (var i = 0; i < count; i++)
        {
            var own = new Dictionary<string, string?>(shared)
            {
                ["Cluster:SiloPort"] = ports[count + i].ToString(CultureInfo.InvariantCulture),
            };
            servers.Add(ServerProcess.Create(own, ports[i], "server " + (i + 1).ToString(CultureInfo.InvariantCulture)));
        }

        var cluster = new ServerCluster(servers, database, clusterId);
        try
        {
            await servers[0].StartAgainAsync();
            await Task.WhenAll(servers.Skip(1).Select(s => s.StartAgainAsync()));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The tail of every server's output, for an assertion message.</summary>
    public string Describe(int lines = 40) => string.Join("\n", Servers.Select(s => s.Tail(lines)));

    public async ValueTask DisposeAsync()
    {
        foreach (var server in Servers)
        {
            await server.DisposeAsync();
        }
    }
}
