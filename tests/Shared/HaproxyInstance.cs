using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace VideoVisit.Testing;

/// <summary>
/// A real load balancer in front of server processes: Debian's <c>haproxy</c>, configured by this fixture in
/// its own temp folder and run in the foreground as a child process, stopped at dispose. One frontend on a
/// free 127.0.0.1 port; round-robin over the backends with no stickiness (every request and every WebSocket
/// may land on any server); health checks <c>GET /readyz</c> every 500 ms, down after 2 failures, up after 1
/// success; a refused connection is tried again on another server (<c>retries</c>, <c>option redispatch</c>);
/// WebSockets are tunnels that may stay open for an hour (<c>timeout tunnel</c>). Each answer says which
/// backend served it (<see cref="ServedByHeader"/>), and the stats page tells a test when haproxy sees a
/// backend up or down (<see cref="WaitForStateAsync"/>).
/// </summary>
public sealed class HaproxyInstance : IAsyncDisposable
{
    /// <summary>The response header naming the backend that answered (<c>s1</c>, <c>s2</c>, ... in the order given).</summary>
    public const string ServedByHeader = "X-Served-By";

    private readonly OwnedProcess _process;
    private readonly string _root;
    private readonly HttpClient _stats;

    private HaproxyInstance(OwnedProcess process, string root, int port, int statsPort, string config)
    {
        _process = process;
        _root = root;
        Port = port;
        Config = config;
        BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");
        _stats = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{statsPort.ToString(CultureInfo.InvariantCulture)}/"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public int Port { get; }

    /// <summary>Where clients connect: the load balancer's frontend.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The configuration it runs with (haproxy.cfg in its temp folder).</summary>
    public string Config { get; }

    public string Output => _process.Output;

    /// <summary>Backend names in <see cref="ServedByHeader"/> and <see cref="WaitForStateAsync"/>: s1 for the first address, s2 for the next, ...</summary>
    public static string BackendName(int index) => "s" + (index + 1).ToString(CultureInfo.InvariantCulture);

    /// <param name="backends">The servers, in the order of their names (s1, s2, ...).</param>
    /// <param name="hubAffinity">
    /// Hub requests (<c>/hubs/</c>) from one client address to one server, as <c>deploy/haproxy.cfg</c> does:
    /// what a SignalR client that negotiates needs (the web app's fallback when a WebSocket cannot get
    /// through). Off: pure round robin, for clients that skip negotiation (the web app's first try, the
    /// tests' .NET client).
    /// </param>
    public static async Task<HaproxyInstance> StartAsync(IEnumerable<Uri> backends, bool hubAffinity = false)
    {
        var root = Directory.CreateTempSubdirectory("videovisit-haproxy-").FullName;
        var ports = FreePorts.Many(2);
        var config = Configuration(ports[0], ports[1], [.. backends], hubAffinity);
        var path = Path.Combine(root, "haproxy.cfg");
        await File.WriteAllTextAsync(path, config);

        var info = new ProcessStartInfo("haproxy")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = root,
        };
        // -db: foreground, no daemon; the process we hold is haproxy itself.
        foreach (var argument in new[] { "-db", "-f", path })
        {
            info.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("could not start haproxy");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("haproxy is not installed (./test.sh installs Debian's haproxy)", e);
        }

        var instance = new HaproxyInstance(new OwnedProcess(process), root, ports[0], ports[1], config);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (instance._process.HasExited)
            {
                var output = instance.Output;
                await instance.DisposeAsync();
                throw new InvalidOperationException($"haproxy exited at start: {output}\n{config}");
            }

            if (await AcceptsAsync(ports[0]) && await AcceptsAsync(ports[1]))
            {
                return instance;
            }

            if (DateTime.UtcNow > deadline)
            {
                var output = instance.Output;
                await instance.DisposeAsync();
                throw new TimeoutException("haproxy did not listen within 30 s: " + output);
            }

            await Task.Delay(100);
        }
    }

    /// <summary>The configuration: the load balancer a cluster needs (see the README, "Operating more than one server").</summary>
    public static string Configuration(int port, int statsPort, IReadOnlyList<Uri> backends, bool hubAffinity = false)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"""
            global
                maxconn 4096
                log stdout format raw local0 notice

            defaults
                mode http
                log global
                option dontlognull
                timeout connect 2s
                timeout client 60s
                timeout server 60s
                # A WebSocket (the hub) is a tunnel once upgraded: it may stay open for a whole visit.
                timeout tunnel 1h
                timeout client-fin 5s
                timeout http-request 10s
                # A health check's answer may be slow on a loaded machine; without this it would have only `inter` (500 ms).
                timeout check 5s
                # A connection the server refused (it died) is tried again, on another server.
                retries 3
                option redispatch 1

            frontend videovisit
                bind 127.0.0.1:{port}
                {(hubAffinity ? "use_backend hub if { path_beg /hubs/ }" : "")}
                default_backend servers

            backend servers
                # No stickiness: any request and any WebSocket may go to any server.
                balance roundrobin
                option httpchk GET /readyz
                http-check expect status 200
                # A check may take longer than its interval on a loaded machine: give it 3 s before it counts as failed.
                timeout check 3s
                default-server inter 500 fastinter 500 downinter 500 fall 2 rise 1
                http-response set-header {ServedByHeader} %s
            """);
        for (var i = 0; i < backends.Count; i++)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"    server {BackendName(i)} {backends[i].Host}:{backends[i].Port} check");
        }

        if (hubAffinity)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"""

                backend hub
                    balance source
                    hash-type consistent
                    option httpchk GET /readyz
                    http-check expect status 200
                    default-server inter 500 fastinter 500 downinter 500 fall 2 rise 1
                    http-response set-header {ServedByHeader} %s
                """);
            for (var i = 0; i < backends.Count; i++)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"    server {BackendName(i)} {backends[i].Host}:{backends[i].Port} check");
            }
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"""

            listen stats
                bind 127.0.0.1:{statsPort}
                stats enable
                stats uri /stats
            """);
        return text.ToString();
    }

    /// <summary>What haproxy thinks of each backend server now ("UP", "DOWN", "UP 1/2", ...; with hub affinity the worse of its two), from its stats page.</summary>
    public async Task<IReadOnlyDictionary<string, string>> BackendStatesAsync()
    {
        var csv = await _stats.GetStringAsync("/stats;csv");
        var states = new Dictionary<string, string>(StringComparer.Ordinal);
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].TrimStart('#', ' ').Split(',');
        var status = Array.IndexOf(header, "status");
        foreach (var fields in lines.Skip(1).Select(l => l.Split(',')))
        {
            if (fields.Length > status && fields[0] is "servers" or "hub" && fields[1] is not ("BACKEND" or "FRONTEND"))
            {
                // A server counts as up when it is up in every backend it is in (with hub affinity, two).
                var key = fields[1];
                states[key] = states.TryGetValue(key, out var seen) && !seen.StartsWith("UP", StringComparison.Ordinal) ? seen : fields[status];
            }
        }

        return states;
    }

    /// <summary>Waits until haproxy's health checks see <paramref name="backend"/> as up (or down).</summary>
    public async Task WaitForStateAsync(string backend, bool up, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            var states = await BackendStatesAsync();
            last = states.GetValueOrDefault(backend, "?");
            if (last.StartsWith(up ? "UP" : "DOWN", StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"haproxy did not see {backend} {(up ? "up" : "down")} within {timeout.TotalSeconds} s (last: {last}).\n{Output}");
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(2));
            return true;
        }
        catch (Exception e) when (e is SocketException or TimeoutException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stats.Dispose();
        _process.Kill();
        try
        {
            await _process.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            // SIGKILL was sent
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // left for the OS to clean
        }
    }
}
