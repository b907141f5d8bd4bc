using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

// Signalling benchmark: N concurrent visits driven by the official @microsoft/signalr client in Node,
// against VideoVisit's hub and, in the same run, against a bare hub that only forwards to a
// connection id. Each server runs as its own process so its memory can be read from /proc.
//
//   dotnet run -c Release --project bench/Signalling.Bench -- [--visits 1000] [--rate 100] [--join-concurrency 64]
var options = ParseArguments(args);
var visits = int.Parse(options.GetValueOrDefault("visits", "1000"), CultureInfo.InvariantCulture);
var rate = options.GetValueOrDefault("rate", "100");
var joinConcurrency = options.GetValueOrDefault("join-concurrency", "64");
var configuration = options.GetValueOrDefault("configuration", "Release");
var root = FindRepositoryRoot();
var nodeFolder = Path.Combine(root, "bench", "Signalling.Bench", "node");

if (!File.Exists(Path.Combine(nodeFolder, "node_modules", "@microsoft", "signalr", "package.json")))
{
    Console.WriteLine("Installing the load driver's packages (npm ci)...");
    await RunToEndAsync("npm", nodeFolder, "ci", "--no-audit", "--no-fund");
}

Console.WriteLine($"Signalling benchmark: {visits} visits ({visits * 2} connections), flows started at {rate}/s, {Environment.ProcessorCount} cores");
var bare = await RunAsync("bare", Path.Combine(root, "bench", "Signalling.BareHub", "bin", configuration, "net10.0", "Signalling.BareHub.dll"), "/healthz", []);
var real = await RunAsync("videovisit", Path.Combine(root, "src", "VideoVisit.Server", "bin", configuration, "net10.0", "VideoVisit.Server.dll"), "/readyz",
[
    "--Demo:Seed", "true",
    "--Demo:LoadTestVisits", visits.ToString(CultureInfo.InvariantCulture),
    "--Auth:DevIssuer:Enabled", "true",
    "--Turn:Enabled", "false",
    "--Data:Directory", Directory.CreateTempSubdirectory("videovisit-bench-").FullName,
]);

Console.WriteLine();
Console.WriteLine($"{"",-36}{"VideoVisit",14}{"bare hub",14}{"ratio",9}");
Row("joins per second", real.JoinsPerSecond, bare.JoinsPerSecond, "0");
Row("SendSignal -> Signal p50 (ms)", real.P50, bare.P50, "0.000");
Row("SendSignal -> Signal p99 (ms)", real.P99, bare.P99, "0.000");
Row("SendSignal -> Signal max (ms)", real.Max, bare.Max, "0.0");
Row("chat p50 (ms)", real.ChatP50, bare.ChatP50, "0.000");
Row("signals delivered", real.Signals, bare.Signals, "0");
Row("server memory per connection (KiB)", real.KiBPerConnection, bare.KiBPerConnection, "0.0");
Row("server RSS with all joined (MiB)", real.RssJoinedMiB, bare.RssJoinedMiB, "0.0");
Row("errors", real.Errors, bare.Errors, "0");
Console.WriteLine();
var p99Ok = real.P99 <= 2 * bare.P99;
var memoryOk = real.KiBPerConnection <= 2 * bare.KiBPerConnection;
Console.WriteLine($"target p99 <= 2x bare: {(p99Ok ? "met" : "NOT met")}; memory per connection <= 2x bare: {(memoryOk ? "met" : "NOT met")}");
return real.Errors == 0 && bare.Errors == 0 ? 0 : 1;

void Row(string name, double videoVisit, double bareHub, string format) =>
    Console.WriteLine($"{name,-36}{videoVisit.ToString(format, CultureInfo.InvariantCulture),14}{bareHub.ToString(format, CultureInfo.InvariantCulture),14}{(bareHub == 0 ? "-" : (videoVisit / bareHub).ToString("0.00", CultureInfo.InvariantCulture)),9}");

async Task<Result> RunAsync(string mode, string dll, string readyPath, string[] serverArguments)
{
    if (!File.Exists(dll))
    {
        throw new FileNotFoundException($"Build first: dotnet build -c {configuration} bench/Signalling.Bench", dll);
    }

    var port = FreePort();
    var url = $"http://127.0.0.1:{port}";
    var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(dll)!, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var argument in new[] { dll, "--urls", url, "--Serilog:MinimumLevel:Default", "Warning", "--Logging:LogLevel:Default", "Warning" }.Concat(serverArguments))
    {
        start.ArgumentList.Add(argument);
    }

    start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
    using var server = Process.Start(start)!;
    var serverOutput = new System.Text.StringBuilder();
    server.OutputDataReceived += (_, e) => { lock (serverOutput) { serverOutput.AppendLine(e.Data); } };
    server.ErrorDataReceived += (_, e) => { lock (serverOutput) { serverOutput.AppendLine(e.Data); } };
    server.BeginOutputReadLine();
    server.BeginErrorReadLine();
    try
    {
        await WaitReadyAsync(url + readyPath, server, serverOutput);
        var baseline = RssKiB(server.Id);
        Console.WriteLine($"[{mode}] server pid {server.Id} ready on {url}, RSS {baseline / 1024.0:0.0} MiB; driving {visits} visits...");

        var driver = new ProcessStartInfo("node") { WorkingDirectory = nodeFolder, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardInput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "load.mjs", "--url", url, "--mode", mode, "--visits", visits.ToString(CultureInfo.InvariantCulture), "--rate", rate, "--join-concurrency", joinConcurrency })
        {
            driver.ArgumentList.Add(argument);
        }

        using var node = Process.Start(driver)!;
        var stderr = node.StandardError.ReadToEndAsync();
        long joined = 0;
        JsonElement? result = null;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        while (await node.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("BARRIER", StringComparison.Ordinal))
            {
                await Task.Delay(TimeSpan.FromSeconds(2), timeout.Token); // let the server settle
                joined = RssKiB(server.Id);
                Console.WriteLine($"[{mode}] {line[8..]}; server RSS {joined / 1024.0:0.0} MiB");
                await node.StandardInput.WriteLineAsync("go");
                await node.StandardInput.FlushAsync(timeout.Token);
            }
            else if (line.StartsWith("RESULT ", StringComparison.Ordinal))
            {
                result = JsonDocument.Parse(line[7..]).RootElement.Clone();
                Console.WriteLine($"[{mode}] {line[7..]}");
            }
            else
            {
                Console.WriteLine($"[{mode}] {line}");
            }
        }

        await node.WaitForExitAsync(timeout.Token);
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
            r.GetProperty("errors").GetDouble());
    }
    finally
    {
        server.Kill(entireProcessTree: true);
        await server.WaitForExitAsync();
    }
}

static async Task WaitReadyAsync(string url, Process server, System.Text.StringBuilder output)
{
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
    var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
    while (DateTime.UtcNow < deadline)
    {
        if (server.HasExited)
        {
            throw new InvalidOperationException("The server exited: " + output);
        }

        try
        {
            using var response = await http.GetAsync(new Uri(url));
            if (response.IsSuccessStatusCode)
            {
                return;
            }
        }
        catch (HttpRequestException)
        {
        }
        catch (TaskCanceledException)
        {
        }

        await Task.Delay(200);
    }

    throw new TimeoutException("The server did not become ready: " + output);
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

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
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

internal sealed record Result(double JoinsPerSecond, double P50, double P99, double Max, double ChatP50, double Signals, double KiBPerConnection, double RssJoinedMiB, double Errors);
