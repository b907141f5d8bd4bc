using System.Globalization;
using System.Security.Cryptography;
using RelayBench;

// Our relay and coturn 4.6.1 on loopback, the same shared secret, the same load generator, one run.
// Usage: dotnet run -c Release --project bench/RelayBench [-- --rounds 3 --slices 10 --slice-ms 500]
// Each round starts both servers afresh and measures them side by side in alternating slices (see
// LoadGenerator); the table shows the median of the rounds.
var rounds = Option("--rounds", 3);
var slices = Option("--slices", 10);
var slice = TimeSpan.FromMilliseconds(Option("--slice-ms", 500));
var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
var relayDll = FindRelayDll();

Console.WriteLine($"RelayBench: {Environment.ProcessorCount} cores, {rounds} rounds of {slices} alternating {slice.TotalMilliseconds} ms slices per phase, {LoadGenerator.Allocations} allocations, .NET {Environment.Version}");
Console.WriteLine($"our relay: dotnet {relayDll}; coturn: /usr/bin/turnserver (Debian coturn 4.6.1)");

var results = new Dictionary<string, List<Figures>> { ["VideoVisit"] = [], ["coturn"] = [] };
string[] names = ["VideoVisit", "coturn"];
for (var round = 0; round < rounds; round++)
{
    using var ourServer = ServerProcess.StartOurs(relayDll, secret, ServerProcess.FreePort());
    using var coturnServer = ServerProcess.StartCoturn(secret, ServerProcess.FreePort());
    var figures = LoadGenerator.Run([ourServer, coturnServer], secret, slices, slice);
    for (var i = 0; i < names.Length; i++)
    {
        var f = figures[i];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"round {round + 1} {names[i],-10} pps120 {f.Pps120,9:N0} ({f.CpuUs120:F2} cpu-us/pkt) pps1200 {f.Pps1200,9:N0} ({f.CpuUs1200:F2}) rtt p50/p99 {f.RttP50Us,5:F0}/{f.RttP99Us,5:F0} us allocs/s {f.AllocationsPerSecond,7:N0} MiB/1000 {f.RssMiBPer1000,6:F2} start {f.BaselineRssKiB / 1024.0,5:F1} MiB"));
        results[names[i]].Add(f);
    }
}

Console.WriteLine($"allocations retried from another port after a 437: {LoadGenerator.Retries}");
var ours = Median(results["VideoVisit"]);
var coturn = Median(results["coturn"]);
Console.WriteLine();
Console.WriteLine($"median of {rounds} rounds:");
Console.WriteLine($"{"metric",-44} {"VideoVisit",12} {"coturn 4.6.1",12} {"ours/coturn",12} {"per round",10}");
var o = results["VideoVisit"];
var c = results["coturn"];
Row("relayed packets/s, 120 B via channels", ours.Pps120, coturn.Pps120, "N0", true, o.Zip(c, (x, y) => x.Pps120 / y.Pps120));
Row("relayed packets/s, 1200 B via channels", ours.Pps1200, coturn.Pps1200, "N0", true, o.Zip(c, (x, y) => x.Pps1200 / y.Pps1200));
Row("server CPU µs per relayed packet, 120 B", ours.CpuUs120, coturn.CpuUs120, "F2", false, o.Zip(c, (x, y) => x.CpuUs120 / y.CpuUs120));
Row("server CPU µs per relayed packet, 1200 B", ours.CpuUs1200, coturn.CpuUs1200, "F2", false, o.Zip(c, (x, y) => x.CpuUs1200 / y.CpuUs1200));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{"  windows refilled after a 50 ms loss, %",-44} {(ours.Loss120 + ours.Loss1200) * 100,12:F3} {(coturn.Loss120 + coturn.Loss1200) * 100,12:F3}"));
Row("round trip p50, µs (via relay twice)", ours.RttP50Us, coturn.RttP50Us, "F0", false, o.Zip(c, (x, y) => x.RttP50Us / y.RttP50Us));
Row("round trip p99, µs", ours.RttP99Us, coturn.RttP99Us, "F0", false, o.Zip(c, (x, y) => x.RttP99Us / y.RttP99Us));
Row("allocations/s (401 round trip included)", ours.AllocationsPerSecond, coturn.AllocationsPerSecond, "N0", true, o.Zip(c, (x, y) => x.AllocationsPerSecond / y.AllocationsPerSecond));
Row("resident memory per 1,000 allocations, MiB", ours.RssMiBPer1000, coturn.RssMiBPer1000, "F2", false, o.Zip(c, (x, y) => x.RssMiBPer1000 / y.RssMiBPer1000));
Row("resident memory at start, MiB", ours.BaselineRssKiB / 1024.0, coturn.BaselineRssKiB / 1024.0, "F1", false, o.Zip(c, (x, y) => (double)x.BaselineRssKiB / y.BaselineRssKiB));
Console.WriteLine("ours/coturn: ratio of the medians; per round: median of the rounds' own ratios (the rounds are paired, so this");
Console.WriteLine("is the steadier figure on a noisy machine). Higher is better for packets/s and allocations/s, lower for the rest.");

static void Row(string metric, double ours, double coturn, string format, bool higherIsBetter, IEnumerable<double> perRound)
{
    var ratio = coturn == 0 ? double.NaN : ours / coturn;
    var sorted = perRound.Order().ToArray();
    var paired = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    var verdict = (higherIsBetter ? paired >= 1 : paired <= 1) ? "ok" : "WORSE";
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{metric,-44} {ours.ToString(format, CultureInfo.InvariantCulture),12} {coturn.ToString(format, CultureInfo.InvariantCulture),12} {ratio,12:F2} {paired,10:F2}  {verdict}"));
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

static Figures Median(List<Figures> all)
{
    static double M(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    return new Figures(
        M(all.Select(f => f.Pps120)), M(all.Select(f => f.Loss120)), M(all.Select(f => f.CpuUs120)),
        M(all.Select(f => f.Pps1200)), M(all.Select(f => f.Loss1200)), M(all.Select(f => f.CpuUs1200)),
        M(all.Select(f => f.RttP50Us)), M(all.Select(f => f.RttP99Us)), M(all.Select(f => f.AllocationsPerSecond)),
        M(all.Select(f => f.RssMiBPer1000)), (long)M(all.Select(f => (double)f.BaselineRssKiB)));
}

int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
