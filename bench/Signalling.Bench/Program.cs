using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

// Signalling benchmark: N concurrent visits driven by the official @microsoft/signalr client in Node,
// against VideoVisit's hub on one server, against two VideoVisit servers in one cluster (the
// professional of each visit on one, the patient on the other: PostgreSQL, Redis and Orleans between
// them) and, in the same run, against a bare hub that only forwards to a connection id. Each server
// runs as its own process so its memory can be read from /proc. Then failover: a patient's server is
// killed (SIGKILL) and the time until their seat is resumed through the other server is measured.
//
//   dotnet run -c Release --project bench/Signalling.Bench -- [--visits 1000] [--rate 100] [--rounds 5] [--warmup 50] [--join-concurrency 64] [--cluster true] [--failover-trials 20] [--settle 2] [--only cluster|failover]
var options = ParseArguments(args);
var visits = int.Parse(options.GetValueOrDefault("visits", "1000"), CultureInfo.InvariantCulture);
var rate = options.GetValueOrDefault("rate", "100");
var joinConcurrency = options.GetValueOrDefault("join-concurrency", "64");
var configuration = options.GetValueOrDefault("configuration", "Release");
var rounds = int.Parse(options.GetValueOrDefault("rounds", "5"), CultureInfo.InvariantCulture);
var warmup = options.GetValueOrDefault("warmup", "50");
var cluster = options.GetValueOrDefault("cluster", "true") == "true";
var failoverTrials = int.Parse(options.GetValueOrDefault("failover-trials", "20"), CultureInfo.InvariantCulture);
// The two servers alone: a closer look at them, with no comparison printed.
var onlyCluster = options.GetValueOrDefault("only") == "cluster";
// 1: the cluster phase runs one server with the cluster's settings (only with --only cluster).
var clusterServers = int.Parse(options.GetValueOrDefault("cluster-servers", "2"), CultureInfo.InvariantCulture);
var settle = TimeSpan.FromSeconds(double.Parse(options.GetValueOrDefault("settle", "2"), CultureInfo.InvariantCulture));
var root = FindRepositoryRoot();
var nodeFolder = Path.Combine(root, "bench", "Signalling.Bench", "node");

if (!File.Exists(Path.Combine(nodeFolder, "node_modules", "@microsoft", "signalr", "package.json")))
{
    Console.WriteLine("Installing the load driver's packages (npm ci)...");
    await RunToEndAsync("npm", nodeFolder, "ci", "--no-audit", "--no-fund");
}

if (options.GetValueOrDefault("only") == "failover")
{
    // The failover trials alone (after a change to how the cluster recovers from a dead server).
    await using var failoverServices = await ClusterServices.StartAsync();
    var alone = await Failover.RunAsync(failoverServices, ServerDll(), failoverTrials, Console.WriteLine);
    Console.WriteLine($"target: failover p99 <= 5 s: {(alone.P99Seconds <= 5 ? "met" : "NOT met")}");
    return alone.Errors == 0 ? 0 : 1;
}

Console.WriteLine($"Signalling benchmark: {visits} visits ({visits * 2} connections), flows started at {rate}/s, first {warmup} flows of each run not measured, {rounds} round(s), {Environment.ProcessorCount} cores, load average {LoadAverage()}");
var bareRuns = new List<Result>();
var realRuns = new List<Result>();
var clusterRuns = new List<Result>();
await using var services = cluster || failoverTrials > 0 ? await ClusterServices.StartAsync() : null;
for (var round = 1; round <= rounds; round++)
{
    // Rotate which goes first, so none always gets the quieter machine.
    var order = onlyCluster ? new List<Func<Task>>() : new List<Func<Task>>
    {
        async () => bareRuns.Add(await RunBareAsync()),
        async () => realRuns.Add(await RunVideoVisitAsync()),
    };

    if (cluster)
    {
        order.Add(async () => clusterRuns.Add(await RunClusterAsync(services!)));
    }

    for (var i = 0; i < order.Count; i++)
    {
        await order[(i + round - 1) % order.Count]();
    }
}

if (onlyCluster)
{
    foreach (var run in clusterRuns)
    {
        Console.WriteLine($"2 servers: p50 {run.P50:0.000} ms, p99 {run.P99:0.000} ms, max {run.Max:0.0} ms, {run.KiBPerConnection:0.0} KiB/conn, server CPU {run.ServerCpuMsPerVisit:0.00} ms per visit, {run.Errors} errors");
    }

    return clusterRuns.Sum(r => r.Errors) == 0 ? 0 : 1;
}

Console.WriteLine();
Console.WriteLine($"Rounds (load average now {LoadAverage()}):");
for (var i = 0; i < rounds; i++)
{
    Console.WriteLine($"  round {i + 1}: VideoVisit p50 {realRuns[i].P50:0.000} ms, p99 {realRuns[i].P99:0.000} ms, {realRuns[i].KiBPerConnection:0.0} KiB/conn; bare p50 {bareRuns[i].P50:0.000} ms, p99 {bareRuns[i].P99:0.000} ms, {bareRuns[i].KiBPerConnection:0.0} KiB/conn"
        + (cluster ? $"; 2 servers p50 {clusterRuns[i].P50:0.000} ms, p99 {clusterRuns[i].P99:0.000} ms, {clusterRuns[i].KiBPerConnection:0.0} KiB/conn" : ""));
}

// The machine is shared: a round that another process disturbed shows as a long tail. The least
// disturbed round of each server (lowest p99) is the fairest comparison; the medians are shown too.
foreach (var (title, real, bare, two) in new[]
{
    ($"Best round of each (lowest p99) of {rounds}", realRuns.MinBy(r => r.P99)!, bareRuns.MinBy(r => r.P99)!, clusterRuns.MinBy(r => r.P99)),
    ($"Median of {rounds} rounds", Median(realRuns), Median(bareRuns), clusterRuns.Count > 0 ? Median(clusterRuns) : null),
})
{
    Table(title, real, bare, two);
}

var bestReal = realRuns.MinBy(r => r.P99)!;
var bestBare = bareRuns.MinBy(r => r.P99)!;
var p99Ok = bestReal.P99 <= 2 * bestBare.P99;
var memoryOk = bestReal.KiBPerConnection <= 2 * bestBare.KiBPerConnection;
var targets = $"target (best rounds): p99 <= 2x bare: {(p99Ok ? "met" : "NOT met")}; memory per connection <= 2x bare: {(memoryOk ? "met" : "NOT met")}";
if (clusterRuns.MinBy(r => r.P99) is { } bestCluster)
{
    targets += $"; 2 servers p99 <= 3x one server: {(bestCluster.P99 <= 3 * bestReal.P99 ? "met" : "NOT met")}";
}

var failoverErrors = 0;
if (failoverTrials > 0)
{
    var failover = await Failover.RunAsync(services!, ServerDll(), failoverTrials, Console.WriteLine);
    failoverErrors = failover.Errors;
    targets += $"; failover p99 <= 5 s: {(failover.P99Seconds <= 5 ? "met" : "NOT met")}";
}

Console.WriteLine(targets);
return realRuns.Sum(r => r.Errors) == 0 && bareRuns.Sum(r => r.Errors) == 0 && clusterRuns.Sum(r => r.Errors) == 0 && failoverErrors == 0 ? 0 : 1;

void Table(string title, Result real, Result bare, Result? two)
{
    Console.WriteLine();
    Console.WriteLine(title);
    Console.WriteLine($"{"",-36}{"VideoVisit",14}{"bare hub",14}{"ratio",9}" + (two is null ? "" : $"{"2 servers",14}{"vs one",9}"));
    Row("joins per second", real.JoinsPerSecond, bare.JoinsPerSecond, two?.JoinsPerSecond, "0");
    Row("SendSignal -> Signal p50 (ms)", real.P50, bare.P50, two?.P50, "0.000");
    Row("SendSignal -> Signal p99 (ms)", real.P99, bare.P99, two?.P99, "0.000");
    Row("SendSignal -> Signal max (ms)", real.Max, bare.Max, two?.Max, "0.0");
    Row("chat p50 (ms)", real.ChatP50, bare.ChatP50, two?.ChatP50, "0.000");
    Row("signals delivered", real.Signals, bare.Signals, two?.Signals, "0");
    Row("server memory per connection (KiB)", real.KiBPerConnection, bare.KiBPerConnection, two?.KiBPerConnection, "0.0");
    Row("server RSS with all joined (MiB)", real.RssJoinedMiB, bare.RssJoinedMiB, two?.RssJoinedMiB, "0.0");
    Row("server CPU per visit's flow (ms)", real.ServerCpuMsPerVisit, bare.ServerCpuMsPerVisit, two?.ServerCpuMsPerVisit, "0.00");
    Row("errors", real.Errors, bare.Errors, two?.Errors, "0");
}

string ServerDll() => Path.Combine(root, "src", "VideoVisit.Server", "bin", configuration, "net10.0", "VideoVisit.Server.dll");

Task<Result> RunBareAsync() =>
    RunAsync("bare", Path.Combine(root, "bench", "Signalling.BareHub", "bin", configuration, "net10.0", "Signalling.BareHub.dll"), "/healthz", []);

Task<Result> RunVideoVisitAsync() =>
    RunAsync("videovisit", ServerDll(), "/readyz",
    [
        "--Demo:Seed", "true",
        "--Demo:LoadTestVisits", visits.ToString(CultureInfo.InvariantCulture),
        "--Auth:DevIssuer:Enabled", "true",
        "--Turn:Enabled", "false",
        "--Data:Directory", Directory.CreateTempSubdirectory("videovisit-bench-").FullName,
    ]);

// Two servers of one cluster on a fresh database: the first seeds it, the second joins. Each visit's
// professional is on the first and its patient on the second, so every signal and chat crosses.
async Task<Result> RunClusterAsync(ClusterServices services)
{
    var settings = services.NewCluster();
    await using var a = await ServerProcess.StartAsync(ServerDll(), [.. settings(), "--Demo:Seed", "true", "--Demo:LoadTestVisits", visits.ToString(CultureInfo.InvariantCulture)]);
    if (clusterServers == 1)
    {
        // The cluster's settings on one server: what PostgreSQL, Redis and Orleans cost without crossing.
        return await DriveAsync("cluster", [a]);
    }

    await using var b = await ServerProcess.StartAsync(ServerDll(), settings());
    return await DriveAsync("cluster", [a, b]);
}

static Result Median(List<Result> runs)
{
    static double M(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    return new Result(
        M(runs.Select(r => r.JoinsPerSecond)),
        M(runs.Select(r => r.P50)),
        M(runs.Select(r => r.P99)),
        M(runs.Select(r => r.Max)),
        M(runs.Select(r => r.ChatP50)),
        M(runs.Select(r => r.Signals)),
        M(runs.Select(r => r.KiBPerConnection)),
        M(runs.Select(r => r.RssJoinedMiB)),
        M(runs.Select(r => r.ServerCpuMsPerVisit)),
        runs.Sum(r => r.Errors));
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

void Row(string name, double videoVisit, double bareHub, double? twoServers, string format) =>
    Console.WriteLine($"{name,-36}{videoVisit.ToString(format, CultureInfo.InvariantCulture),14}{bareHub.ToString(format, CultureInfo.InvariantCulture),14}{Ratio(videoVisit, bareHub),9}"
        + (twoServers is { } two ? $"{two.ToString(format, CultureInfo.InvariantCulture),14}{Ratio(two, videoVisit),9}" : ""));

static string Ratio(double a, double b) => b == 0 ? "-" : (a / b).ToString("0.00", CultureInfo.InvariantCulture);

async Task<Result> RunAsync(string mode, string dll, string readyPath, string[] serverArguments)
{
    if (!File.Exists(dll))
    {
        throw new FileNotFoundException($"Build first: dotnet build -c {configuration} bench/Signalling.Bench", dll);
    }

    await using var server = await ServerProcess.StartAsync(dll, serverArguments, readyPath);
    return await DriveAsync(mode, [server]);
}

// Drives the visits: the professionals connect to the first server, the patients to the last.
async Task<Result> DriveAsync(string mode, ServerProcess[] servers)
{
    var baseline = servers.Sum(s => RssKiB(s.Pid));
    Console.WriteLine($"[{mode}] servers ready on {string.Join(", ", servers.Select(s => s.Url))}, RSS {baseline / 1024.0:0.0} MiB; driving {visits} visits...");

    var driver = new ProcessStartInfo("node") { WorkingDirectory = nodeFolder, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardInput = true, RedirectStandardError = true };
    foreach (var argument in new[] { "load.mjs", "--url", servers[0].Url, "--patient-url", servers[^1].Url, "--mode", mode == "cluster" ? "videovisit" : mode, "--visits", visits.ToString(CultureInfo.InvariantCulture), "--rate", rate, "--join-concurrency", joinConcurrency, "--warmup", warmup })
    {
        driver.ArgumentList.Add(argument);
    }

    using var node = Process.Start(driver)!;
    var stderr = node.StandardError.ReadToEndAsync();
    long joined = 0;
    JsonElement? result = null;
    int[] pids = [.. servers.Select(s => s.Pid)];
    CpuUse Snapshot() => CpuUse.Take(pids, node.Id);
    CpuUse? flowsStarted = null;
    var flowClock = Stopwatch.StartNew();
    Dictionary<string, double>? flowCpu = null;
    using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
    while (await node.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
    {
        if (line.StartsWith("BARRIER", StringComparison.Ordinal))
        {
            // Let the servers settle; the CPU they use meanwhile, with every connection open and idle, is what merely holding them costs.
            var settleStarted = Snapshot();
            var settleClock = Stopwatch.StartNew();
            await Task.Delay(settle, timeout.Token);
            Console.WriteLine($"[{mode}] CPU while settling ({settleClock.Elapsed.TotalSeconds:0.0} s, no flows): {CpuUse.Describe(Snapshot().Since(settleStarted), settleClock.Elapsed.TotalSeconds)}");
            joined = servers.Sum(s => RssKiB(s.Pid));
            Console.WriteLine($"[{mode}] {line[8..]}; server RSS {joined / 1024.0:0.0} MiB");
            flowsStarted = Snapshot();
            flowClock.Restart();
            await node.StandardInput.WriteLineAsync("go");
            await node.StandardInput.FlushAsync(timeout.Token);
        }
        else if (line.StartsWith("RESULT ", StringComparison.Ordinal))
        {
            result = JsonDocument.Parse(line[7..]).RootElement.Clone();
            Console.WriteLine($"[{mode}] {line[7..]}");
            if (flowsStarted is not null)
            {
                // The flows and the driver's closing of its connections, as the servers saw them.
                var flowsEnded = Snapshot();
                flowCpu = flowsEnded.Since(flowsStarted);
                Console.WriteLine($"[{mode}] CPU over the flows ({flowClock.Elapsed.TotalSeconds:0.0} s): {CpuUse.Describe(flowCpu, flowClock.Elapsed.TotalSeconds)}"
                    + (servers.Length > 1 ? $"; each server {string.Join(" and ", flowsEnded.ServersSince(flowsStarted, pids).Select(c => c.ToString("0.00 s", CultureInfo.InvariantCulture)))}" : ""));
            }
        }
        else
        {
            Console.WriteLine($"[{mode}] {line}");
        }
    }

    await node.WaitForExitAsync(timeout.Token);
    if (Environment.GetEnvironmentVariable("BENCH_TIMELINE") is { Length: > 0 })
    {
        Console.WriteLine($"[{mode}] latency per half second:{Environment.NewLine}{await stderr}");
    }

    if (result is not { } r)
    {
        throw new InvalidOperationException($"The {mode} driver ended without a result: {await stderr}");
    }

    var connections = r.GetProperty("connections").GetInt32();
    return new Result(
        r.GetProperty("joinsPerSecond").GetDouble(),
        r.GetProperty("signalP50Ms").GetDouble(),
        r.GetProperty("signalP99Ms").GetDouble(),
        r.GetProperty("signalMaxMs").GetDouble(),
        r.GetProperty("chatP50Ms").GetDouble(),
        r.GetProperty("signals").GetDouble(),
        (joined - baseline) / (double)connections,
        joined / 1024.0,
        flowCpu is null ? double.NaN : 1000 * flowCpu["servers"] / visits,
        r.GetProperty("errors").GetDouble());
}

static long RssKiB(int pid)
{
    foreach (var line in File.ReadLines($"/proc/{pid}/status"))
    {
        if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
        {
            return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
    }

    return 0;
}

static async Task RunToEndAsync(string file, string folder, params string[] arguments)
{
    var start = new ProcessStartInfo(file) { WorkingDirectory = folder, UseShellExecute = false };
    foreach (var argument in arguments)
    {
        start.ArgumentList.Add(argument);
    }

    using var process = Process.Start(start)!;
    await process.WaitForExitAsync();
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed with {process.ExitCode}");
    }
}

static string FindRepositoryRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "VideoVisit.sln")))
        {
            return dir.FullName;
        }
    }

    throw new InvalidOperationException("VideoVisit.sln not found above " + AppContext.BaseDirectory);
}

static Dictionary<string, string> ParseArguments(string[] args)
{
    var options = new Dictionary<string, string>(StringComparer.Ordinal);
    for (var i = 0; i + 1 < args.Length; i += 2)
    {
        options[args[i].TrimStart('-')] = args[i + 1];
    }

    return options;
}

internal sealed record Result(double JoinsPerSecond, double P50, double P99, double Max, double ChatP50, double Signals, double KiBPerConnection, double RssJoinedMiB, double ServerCpuMsPerVisit, double Errors);
