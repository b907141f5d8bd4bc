using System.Globalization;
using System.Security.Cryptography;
using RelayBench;

// Our relay (Native AOT and JIT) and coturn 4.6.1 on loopback, the same shared secret, the same load
// generator, one run.
// Usage: dotnet bench/RelayBench/bin/Release/net10.0/RelayBench.dll [--rounds 3 --slices 10 --slice-ms 500 --idle-ms 5000 --allocations 3000 --aot <path>]
// Each round starts the servers afresh, twice: first with UDP and TCP listeners only (coturn --no-tls,
// as this benchmark always ran it) for idle memory and the UDP phases, then with a TLS listener too
// (ours Turn:TlsPort, coturn --tls-listening-port --cert --pkey, one certificate made for this run)
// for idle memory and the TLS phases. Every phase alternates short slices between the servers
// (LoadGenerator, TlsLoad); the table shows the median of the rounds.
var rounds = Option("--rounds", 3);
var slices = Option("--slices", 10);
var slice = TimeSpan.FromMilliseconds(Option("--slice-ms", 500));
var idle = TimeSpan.FromMilliseconds(Option("--idle-ms", 5000));
LoadGenerator.Allocations = Option("--allocations", LoadGenerator.Allocations);
var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
var relayDll = FindRelay(Path.Combine("src", "VideoVisit.Relay", "bin", "Release", "net10.0", "VideoVisit.Relay.dll"))
    ?? throw new FileNotFoundException("Build src/VideoVisit.Relay first (dotnet build -c Release).");
var aotIndex = Array.IndexOf(args, "--aot");
var aot = aotIndex >= 0 && aotIndex + 1 < args.Length ? Path.GetFullPath(args[aotIndex + 1])
    : FindRelay(Path.Combine("src", "VideoVisit.Relay", "bin", "Release", "net10.0", "linux-x64", "publish", "VideoVisit.Relay"));
var folder = Directory.CreateTempSubdirectory("relaybench-");
var (tlsFiles, certificate) = TlsLoad.MakeCertificate(folder.FullName);

Console.WriteLine($"RelayBench: {Environment.ProcessorCount} cores, {rounds} rounds of {slices} alternating {slice.TotalMilliseconds} ms slices per phase, {LoadGenerator.Allocations} allocations, .NET {Environment.Version}, load average {File.ReadAllText("/proc/loadavg").Trim()}");
Console.WriteLine($"our relay: {(aot is null ? "(no Native AOT build found: dotnet publish src/VideoVisit.Relay -c Release -r linux-x64, or --aot <path>)" : aot + " (Native AOT) and ")}dotnet {relayDll} (JIT); coturn: /usr/bin/turnserver (Debian coturn 4.6.1)");
Console.WriteLine($"TLS: self-signed P-256 certificate for localhost made for this run ({tlsFiles.CertificatePath}); clients offer ALPN stun.turn, no session resumption");

string[] names = aot is null ? ["ours JIT", "coturn"] : ["ours AOT", "ours JIT", "coturn"];
var udp = names.Select(_ => new List<Figures>()).ToArray();
var tls = names.Select(_ => new List<TlsFigures>()).ToArray();
var idleUdp = names.Select(_ => new List<double>()).ToArray();
var idleTls = names.Select(_ => new List<double>()).ToArray();
for (var round = 0; round < rounds; round++)
{
    var servers = Start(null);
    try
    {
        var idleKiB = IdleRss(servers);
        var figures = LoadGenerator.Run(servers, secret, slices, slice);
        for (var i = 0; i < names.Length; i++)
        {
            var f = figures[i];
            idleUdp[i].Add(idleKiB[i] / 1024.0);
            udp[i].Add(f);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {round + 1} {names[i],-8} UDP pps120 {f.Pps120,9:N0} ({f.CpuUs120:F2} cpu-us/pkt) pps1200 {f.Pps1200,9:N0} ({f.CpuUs1200:F2}) rtt p50/p99 {f.RttP50Us,5:F0}/{f.RttP99Us,5:F0} us allocs/s {f.AllocationsPerSecond,7:N0} MiB/1000 {f.RssMiBPer1000,6:F2} idle {idleKiB[i] / 1024.0,5:F1} MiB after warm-up {f.BaselineRssKiB / 1024.0,5:F1} MiB"));
        }
    }
    finally
    {
        Array.ForEach(servers, s => s.Dispose());
    }

    servers = Start(tlsFiles);
    try
    {
        var idleKiB = IdleRss(servers);
        var figures = TlsLoad.Run(servers, secret, certificate, slices, slice);
        for (var i = 0; i < names.Length; i++)
        {
            var f = figures[i];
            idleTls[i].Add(idleKiB[i] / 1024.0);
            tls[i].Add(f);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {round + 1} {names[i],-8} TLS pps120 {f.Pps120,9:N0} ({f.CpuUs120:F2} cpu-us/pkt) pps1200 {f.Pps1200,9:N0} ({f.CpuUs1200:F2}) handshakes/s {f.HandshakesPerSecond,6:N0} ({f.CpuMsPerHandshake:F2} cpu-ms each, p50 {f.HandshakeP50Ms:F2} ms) idle {idleKiB[i] / 1024.0,5:F1} MiB"));
        }
    }
    finally
    {
        Array.ForEach(servers, s => s.Dispose());
    }
}

folder.Delete(recursive: true);
Console.WriteLine($"allocations retried (a 437, or no free local port): {LoadGenerator.Retries}; load average at the end {File.ReadAllText("/proc/loadavg").Trim()}");
Console.WriteLine();
Console.WriteLine($"median of {rounds} rounds:");
var header = $"{"metric",-46}" + string.Concat(names.Select(n => $"{n,12}"));
header += string.Concat(names.SkipLast(1).Select(n => $"{n.Replace("ours ", "") + "/coturn",13}"));
Console.WriteLine(header);
Row("UDP relayed packets/s, 120 B via channels", i => udp[i].Select(f => f.Pps120), "N0", true);
Row("UDP relayed packets/s, 1200 B via channels", i => udp[i].Select(f => f.Pps1200), "N0", true);
Row("UDP server CPU µs per relayed packet, 120 B", i => udp[i].Select(f => f.CpuUs120), "F2", false);
Row("UDP server CPU µs per relayed packet, 1200 B", i => udp[i].Select(f => f.CpuUs1200), "F2", false);
Row("  UDP windows refilled after a 50 ms loss, %", i => udp[i].Select(f => (f.Loss120 + f.Loss1200) * 100), "F3", false, ratios: false);
Row("UDP round trip p50, µs (via relay twice)", i => udp[i].Select(f => f.RttP50Us), "F0", false);
Row("UDP round trip p99, µs", i => udp[i].Select(f => f.RttP99Us), "F0", false);
Row("allocations/s (401 round trip included)", i => udp[i].Select(f => f.AllocationsPerSecond), "N0", true);
Row("resident memory per 1,000 allocations, MiB", i => udp[i].Select(f => f.RssMiBPer1000), "F2", false);
Row($"idle resident memory {idle.TotalSeconds:F0} s after start, MiB", i => idleUdp[i], "F1", false);
Row("resident memory after warm-up, MiB", i => udp[i].Select(f => f.BaselineRssKiB / 1024.0), "F1", false);
Row("TLS relayed packets/s, 120 B via channels", i => tls[i].Select(f => f.Pps120), "N0", true);
Row("TLS relayed packets/s, 1200 B via channels", i => tls[i].Select(f => f.Pps1200), "N0", true);
Row("TLS server CPU µs per relayed packet, 120 B", i => tls[i].Select(f => f.CpuUs120), "F2", false);
Row("TLS server CPU µs per relayed packet, 1200 B", i => tls[i].Select(f => f.CpuUs1200), "F2", false);
Row("TLS handshakes/s (4 clients, full handshakes)", i => tls[i].Select(f => f.HandshakesPerSecond), "N0", true);
Row("TLS server CPU ms per handshake", i => tls[i].Select(f => f.CpuMsPerHandshake), "F2", false);
Row("TLS handshake p50, ms (connect to finished)", i => tls[i].Select(f => f.HandshakeP50Ms), "F2", false);
Row($"idle resident memory with TLS listener, MiB", i => idleTls[i], "F1", false);
Console.WriteLine("columns: the median of the rounds per server; X/coturn: the median of the rounds' own ratios (the rounds are");
Console.WriteLine("paired, so this is the steadier figure on a shared machine), WORSE where it is on coturn's wrong side.");
Console.WriteLine("Higher is better for packets/s, allocations/s and handshakes/s, lower for the rest.");

void Row(string metric, Func<int, IEnumerable<double>> values, string format, bool higherIsBetter, bool ratios = true)
{
    var perServer = Enumerable.Range(0, names.Length).Select(i => values(i).ToArray()).ToArray();
    var line = $"{metric,-46}" + string.Concat(perServer.Select(v => $"{Median(v).ToString(format, CultureInfo.InvariantCulture),12}"));
    if (ratios)
    {
        var coturn = perServer[^1];
        foreach (var ours in perServer.SkipLast(1))
        {
            var paired = Median(ours.Zip(coturn, (o, c) => o / c).ToArray());
            var worse = higherIsBetter ? paired < 1 : paired > 1;
            line += string.Create(CultureInfo.InvariantCulture, $"{paired,7:F2}{(worse ? " WORSE" : "      ")}");
        }
    }

    Console.WriteLine(line);
}

static double Median(double[] values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

// All servers of a round, started one after another, then left alone for the same idle time.
ServerProcess[] Start(TlsFiles? files)
{
    var started = new List<ServerProcess>();
    try
    {
        foreach (var name in names)
        {
            var port = ServerProcess.FreePort();
            var tlsPort = files is null ? 0 : ServerProcess.FreePort();
            started.Add(name switch
            {
                "ours AOT" => ServerProcess.StartOurs(name, aot!, [], secret, port, files, tlsPort),
                "ours JIT" => ServerProcess.StartOurs(name, "dotnet", [relayDll], secret, port, files, tlsPort),
                _ => ServerProcess.StartCoturn(secret, port, files, tlsPort),
            });
            started[^1].WaitUntilTlsAccepts();
        }

        return [.. started];
    }
    catch
    {
        started.ForEach(s => s.Dispose());
        throw;
    }
}

long[] IdleRss(ServerProcess[] servers)
{
    Thread.Sleep(idle);
    return servers.Select(s => s.RssKiB()).ToArray();
}

static string? FindRelay(string relative)
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "VideoVisit.sln")))
        {
            var path = Path.Combine(dir.FullName, relative);
            return File.Exists(path) ? path : null;
        }
    }

    return null;
}

int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
