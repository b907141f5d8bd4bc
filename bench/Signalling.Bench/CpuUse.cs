using System.Globalization;

/// <summary>
/// CPU time (user + system, from <c>/proc</c>) spent by each kind of process on the machine between two
/// snapshots: the servers under test, the load driver, Redis, PostgreSQL, this program, everything
/// else, and the machine's idle time. Tells whether a run's latency is the code or a full machine.
/// </summary>
internal sealed class CpuUse
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    private readonly Dictionary<string, long> _ticks;
    private readonly Dictionary<int, long> _servers;

    private CpuUse(Dictionary<string, long> ticks, Dictionary<int, long> servers)
    {
        _ticks = ticks;
        _servers = servers;
    }

    public static readonly string[] Kinds = ["servers", "driver", "redis", "postgres", "bench", "other", "idle"];

    public static CpuUse Take(IReadOnlyCollection<int> serverPids, int driverPid)
    {
        var ticks = Kinds.ToDictionary(k => k, _ => 0L);
        var servers = new Dictionary<int, long>();
        var self = Environment.ProcessId;
        long processes = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || ReadStat(pid) is not { } stat)
            {
                continue;
            }

            var kind = serverPids.Contains(pid) ? "servers"
                : pid == driverPid ? "driver"
                : pid == self ? "bench"
                : stat.Name.StartsWith("redis", StringComparison.Ordinal) ? "redis"
                : stat.Name.StartsWith("postgres", StringComparison.Ordinal) ? "postgres"
                : null;
            if (kind == "servers")
            {
                servers[pid] = stat.Ticks;
            }

            if (kind is not null)
            {
                ticks[kind] += stat.Ticks;
                processes += stat.Ticks;
            }
        }

        // The machine's totals: busy time not in the processes above is "other" (and processes that
        // exited in between show up there too).
        var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
        var idle = cpu[3] + cpu[4];
        var busy = cpu.Take(8).Sum() - idle;
        ticks["idle"] = idle;
        ticks["other"] = busy - processes;
        return new CpuUse(ticks, servers);
    }

    /// <summary>Seconds of CPU per kind from <paramref name="before"/> to this snapshot.</summary>
    public Dictionary<string, double> Since(CpuUse before) =>
        Kinds.ToDictionary(k => k, k => (_ticks[k] - before._ticks[k]) / TicksPerSecond);

    /// <summary>Seconds of CPU of each server (in the order of <paramref name="pids"/>) from <paramref name="before"/> to this snapshot.</summary>
    public IEnumerable<double> ServersSince(CpuUse before, IEnumerable<int> pids) =>
        pids.Select(pid => (_servers.GetValueOrDefault(pid) - before._servers.GetValueOrDefault(pid)) / TicksPerSecond);

    /// <summary>"servers 1.23 s (61%), driver ...": each kind's CPU seconds and its share of one core over <paramref name="seconds"/>.</summary>
    public static string Describe(Dictionary<string, double> use, double seconds) =>
        string.Join(", ", Kinds.Select(k => string.Create(CultureInfo.InvariantCulture, $"{k} {use[k]:0.00} s ({100 * use[k] / seconds:0}%)")));

    private static (string Name, long Ticks)? ReadStat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var open = text.IndexOf('(', StringComparison.Ordinal);
            var close = text.LastIndexOf(')');
            var fields = text[(close + 2)..].Split(' ');
            // After the name: state is field 3, utime 14 and stime 15 (1-based), so 11 and 12 here.
            return (text[(open + 1)..close], long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
        }
        catch (IOException)
        {
            return null;
        }
    }
}
