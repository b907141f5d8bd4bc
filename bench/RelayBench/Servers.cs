using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace RelayBench;

/// <summary>A relay under test, started as its own process on loopback.</summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;

    private ServerProcess(string name, Process process, IPEndPoint endPoint)
    {
        Name = name;
        _process = process;
        EndPoint = endPoint;
    }

    public string Name { get; }

    public IPEndPoint EndPoint { get; }

    public int Pid => _process.Id;

    /// <summary>Resident set size of the process in KiB (VmRSS from /proc).</summary>
    public long RssKiB()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    /// <summary>CPU time (user + system) the process has used, from /proc/&lt;pid&gt;/stat.</summary>
    public TimeSpan CpuTime()
    {
        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0); // USER_HZ is 100 on Linux
    }

    public static ServerProcess StartOurs(string relayDll, string secret, int port) =>
        Start("VideoVisit relay", "dotnet", port,
        [
            relayDll, "--Turn:ListenAddress=127.0.0.1", $"--Turn:ListenPort={port}", $"--Turn:SharedSecret={secret}",
            "--Turn:Realm=videovisit", "--Turn:AllowedPeers:0=127.0.0.1/32",
            // The same limits as coturn's defaults: no bandwidth cap, no quotas, no reply rate limit
            // (the load comes from one address, 127.0.0.1).
            "--Turn:AllocationBandwidthBytesPerSecond=0", "--Turn:MaxAllocations=100000", "--Turn:MaxAllocationsPerUser=100000",
            "--Turn:UnauthenticatedRepliesPerSecond=0", "--Logging:LogLevel:Default=Warning",
        ]);

    public static ServerProcess StartCoturn(string secret, int port) =>
        Start("coturn 4.6.1", "/usr/bin/turnserver", port,
        [
            "-n", "--no-cli", "--no-tls", "--no-dtls", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
            $"--listening-port={port}", "--use-auth-secret", $"--static-auth-secret={secret}", "--realm=videovisit",
            "--allowed-peer-ip=127.0.0.1", "--allow-loopback-peers", "--no-stdout-log", "--log-file=/dev/null", "--simple-log",
        ]);

    private static ServerProcess Start(string name, string fileName, int port, string[] arguments)
    {
        var info = new ProcessStartInfo(fileName) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + fileName);
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerProcess(name, process, new IPEndPoint(IPAddress.Loopback, port));
        server.WaitUntilAnswering();
        return server;
    }

    /// <summary>Polls with Binding requests until the server answers.</summary>
    private void WaitUntilAnswering()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 200 };
        byte[] binding = [0, 1, 0, 0, 0x21, 0x12, 0xA4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        var buffer = new byte[1024];
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode}");
            }

            socket.SendTo(binding, EndPoint);
            try
            {
                if (socket.Receive(buffer) >= 20)
                {
                    return;
                }
            }
            catch (SocketException)
            {
            }
        }

        throw new TimeoutException(Name + " did not answer a Binding request");
    }

    public static int FreePort()
    {
        while (true)
        {
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)udp.LocalEndPoint!).Port;
            try
            {
                using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                tcp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
            }
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }
}
