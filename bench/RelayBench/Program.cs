using System.Globalization;
using System.Security.Cryptography;
using RelayBench;

// Our relay and coturn 4.6.1 on loopback, the same shared secret, the same load generator, one run.
// Usage: dotnet run -c Release --project bench/RelayBench [-- --seconds 5]
var seconds = args.Length >= 2 && args[0] == "--seconds" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
var duration = TimeSpan.FromSeconds(seconds);
var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
var relayDll = FindRelayDll();

Console.WriteLine($"RelayBench: {Environment.ProcessorCount} cores, {seconds} s per throughput phase, {LoadGenerator.Allocations} allocations, .NET {Environment.Version}");
Console.WriteLine($"our relay: {relayDll}");

var results = new Dictionary<string, Figures>();
foreach (var name in new[] { "VideoVisit", "coturn" })
{
    var port = ServerProcess.FreePort();
    using var server = name == "coturn" ? ServerProcess.StartCoturn(secret, port) : ServerProcess.StartOurs(relayDll, secret, port);
    Console.WriteLine($"== {server.Name} (pid {server.Pid}) on {server.EndPoint}");
    var figures = LoadGenerator.Run(server, secret, duration);
    Console.WriteLine($"   {figures}");
    results[name] = figures;
}

var ours = results["VideoVisit"];
var coturn = results["coturn"];
Console.WriteLine();
Console.WriteLine($"{"metric",-44} {"VideoVisit",12} {"coturn 4.6.1",12} {"ours/coturn",12}");
Row("relayed packets/s, 120 B via channels", ours.Pps120, coturn.Pps120, "N0", higherIsBetter: true);
Row("relayed packets/s, 1200 B via channels", ours.Pps1200, coturn.Pps1200, "N0", higherIsBetter: true);
Row("  (loss at 120 B / 1200 B, %)", ours.Loss120 * 100 + ours.Loss1200 * 100, coturn.Loss120 * 100 + coturn.Loss1200 * 100, "F2", higherIsBetter: false);
Row("round trip p50, µs (via relay twice)", ours.RttP50Us, coturn.RttP50Us, "F0", higherIsBetter: false);
Row("round trip p99, µs", ours.RttP99Us, coturn.RttP99Us, "F0", higherIsBetter: false);
Row("allocations/s (401 round trip included)", ours.AllocationsPerSecond, coturn.AllocationsPerSecond, "N0", higherIsBetter: true);
Row("resident memory per 1,000 allocations, MiB", ours.RssMiBPer1000, coturn.RssMiBPer1000, "F2", higherIsBetter: false);
Row("resident memory at start, MiB", ours.BaselineRssKiB / 1024.0, coturn.BaselineRssKiB / 1024.0, "F1", higherIsBetter: false);

static void Row(string metric, double ours, double coturn, string format, bool higherIsBetter)
{
    var ratio = coturn == 0 ? double.NaN : ours / coturn;
    var verdict = double.IsNaN(ratio) ? "" : (higherIsBetter ? ratio >= 1 : ratio <= 1) ? "ok" : "WORSE";
    Console.WriteLine($"{metric,-44} {ours.ToString(format, CultureInfo.InvariantCulture),12} {coturn.ToString(format, CultureInfo.InvariantCulture),12} {ratio.ToString("F2", CultureInfo.InvariantCulture),12}  {verdict}");
}

static string FindRelayDll()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        var sln = Path.Combine(dir.FullName, "VideoVisit.sln");
        if (File.Exists(sln))
        {
            foreach (var config in new[] { "Release", "Debug" })
            {
                var dll = Path.Combine(dir.FullName, "src", "VideoVisit.Relay", "bin", config, "net10.0", "VideoVisit.Relay.dll");
                if (File.Exists(dll))
                {
                    return dll;
                }
            }
        }
    }

    throw new FileNotFoundException("Build src/VideoVisit.Relay first (dotnet build -c Release).");
}
