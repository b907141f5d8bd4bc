using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace RelayBench;

/// <summary>The PEM certificate and key a server is started with for its TLS listener.</summary>
internal sealed record TlsFiles(string CertificatePath, string KeyPath);

/// <summary>A relay under test, started as its own process on loopback.</summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;

    private ServerProcess(string name, Process process, IPEndPoint endPoint, IPEndPoint? tlsEndPoint)
    {
        Name = name;
        _process = process;
        EndPoint = endPoint;
        TlsEndPoint = tlsEndPoint;
    }

    public string Name { get; }

    public IPEndPoint EndPoint { get; }

    /// <summary>Where the server answers TURN over TLS, when started with a certificate.</summary>
    public IPEndPoint? TlsEndPoint { get; }

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

    /// <summary>
    /// Our relay: <paramref name="command"/> is the Native AOT executable, or "dotnet" with the
    /// VideoVisit.Relay.dll as the first of <paramref name="prefix"/>.
    /// </summary>
    public static ServerProcess StartOurs(string name, string command, string[] prefix, string secret, int port, TlsFiles? tls = null, int tlsPort = 0) =>
        Start(name, command, port, tls is null ? null : tlsPort,
        [
            .. prefix, "--Turn:ListenAddress=127.0.0.1", $"--Turn:ListenPort={port}", $"--Turn:SharedSecret={secret}",
            "--Turn:Realm=videovisit", "--Turn:AllowedPeers:0=127.0.0.1/32",
            // The same limits as coturn's defaults: no bandwidth cap, no quotas, no reply rate limit
            // (the load comes from one address, 127.0.0.1, so no per-source connection limit either).
            "--Turn:AllocationBandwidthBytesPerSecond=0", "--Turn:MaxAllocations=100000", "--Turn:MaxAllocationsPerUser=100000",
            "--Turn:UnauthenticatedRepliesPerSecond=0", "--Turn:MaxTcpConnectionsPerSource=100000", "--Logging:LogLevel:Default=Warning",
            .. (tls is null ? Array.Empty<string>() : [$"--Turn:TlsPort={tlsPort}", $"--Turn:CertificatePath={tls.CertificatePath}", $"--Turn:KeyPath={tls.KeyPath}"]),
        ]);

    /// <summary>coturn: with <paramref name="tls"/>, its TLS listener on <paramref name="tlsPort"/> (--cert/--pkey), else --no-tls.</summary>
    public static ServerProcess StartCoturn(string secret, int port, TlsFiles? tls = null, int tlsPort = 0) =>
        Start("coturn 4.6.1", "/usr/bin/turnserver", port, tls is null ? null : tlsPort,
        [
            "-n", "--no-cli", "--no-dtls", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.2",
            $"--listening-port={port}", "--use-auth-secret", $"--static-auth-secret={secret}", "--realm=videovisit",
            "--allowed-peer-ip=127.0.0.1", "--allow-loopback-peers", "--no-stdout-log", "--log-file=/dev/null", "--simple-log",
            // Relayed sockets on 127.0.0.2 (still loopback): coturn's relay ports (49152–65535) overlap the
            // machine's ephemeral range (32768–60999), from which the clients' sockets and our relays'
            // relayed sockets on 127.0.0.1 come; with three servers' allocations held at once it answered
            // 508 (no port) and its allocation rate collapsed. On another address the ports cannot clash.
            .. (tls is null ? (string[])["--no-tls"] : [$"--tls-listening-port={tlsPort}", $"--cert={tls.CertificatePath}", $"--pkey={tls.KeyPath}"]),
        ]);

    private static ServerProcess Start(string name, string fileName, int port, int? tlsPort, string[] arguments)
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
        var server = new ServerProcess(name, process, new IPEndPoint(IPAddress.Loopback, port), tlsPort is { } t ? new IPEndPoint(IPAddress.Loopback, t) : null);
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

    /// <summary>Waits until the TLS port accepts a connection (the listeners may open one after another).</summary>
    public void WaitUntilTlsAccepts()
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (TlsEndPoint is { } endPoint)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Connect(endPoint);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(100);
            }
        }
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
