using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace RelayBench;

/// <summary>The figures one run produces for one server.</summary>
internal sealed record Figures(double Pps120, double Loss120, double CpuUs120, double Pps1200, double Loss1200, double CpuUs1200, double RttP50Us, double RttP99Us, double AllocationsPerSecond, double RssMiBPer1000, long BaselineRssKiB);

/// <summary>
/// The load generator, identical for both servers: allocations with the 401 round trip, then
/// channels to an echo peer and a fixed window of packets in flight per client (so the figure is
/// the relay's capacity, not a queue overflowing), then ping-pong round trips.
/// </summary>
internal static class LoadGenerator
{
    public const int Allocations = 5000;
    private const int WarmUpAllocations = 300;
    private const int AllocationWorkers = 8;
    private const int Clients = 4;
    private const int Window = 16;

    public static Figures Run(ServerProcess server, string secret, TimeSpan duration)
    {
        // Warm-up: a JIT-compiled server deserves what any benchmark gives it (coturn is compiled ahead
        // of time); the same few hundred allocations are made and deleted on both servers.
        var (_, warmUp) = Allocate(server.EndPoint, secret, WarmUpAllocations);
        Parallel.ForEach(warmUp, new ParallelOptions { MaxDegreeOfParallelism = AllocationWorkers }, c =>
        {
            c.Delete();
            c.Dispose();
        });
        Thread.Sleep(1000);
        var baseline = server.RssKiB();
        var (perSecond, clients) = Allocate(server.EndPoint, secret, Allocations);
        Thread.Sleep(1000); // let the server settle before reading its memory
        var loaded = server.RssKiB();
        var perThousand = (loaded - baseline) / 1024.0 / (clients.Count / 1000.0);
        Parallel.ForEach(clients, new ParallelOptions { MaxDegreeOfParallelism = AllocationWorkers }, c =>
        {
            c.Delete();
            c.Dispose();
        });

        var (pps120, loss120, cpu120) = Throughput(server, secret, 120, duration);
        var (pps1200, loss1200, cpu1200) = Throughput(server, secret, 1200, duration);
        var (p50, p99) = RoundTrips(server.EndPoint, secret, duration);
        return new Figures(pps120, loss120, cpu120, pps1200, loss1200, cpu1200, p50, p99, perSecond, perThousand, baseline);
    }

    private static (double PerSecond, List<BenchClient> Clients) Allocate(IPEndPoint server, string secret, int count)
    {
        var clients = new BenchClient?[count];
        var next = -1;
        var failures = 0;
        var watch = Stopwatch.StartNew();
        var threads = Enumerable.Range(0, AllocationWorkers).Select(_ => new Thread(() =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var client = NewAllocation(server, secret, "bench-" + (i % 50));
                if (client is not null)
                {
                    clients[i] = client;
                }
                else
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        watch.Stop();
        if (failures > 0)
        {
            Console.WriteLine($"  warning: {failures} of {count} allocations failed");
        }

        var made = clients.Where(c => c is not null).Select(c => c!).ToList();
        return (made.Count / watch.Elapsed.TotalSeconds, made);
    }

    /// <summary>Relayed packets per second (both legs of each echo count), the loss rate, and the server's CPU microseconds per relayed packet.</summary>
    private static (double Pps, double Loss, double CpuUs) Throughput(ServerProcess server, string secret, int payload, TimeSpan duration)
    {
        using var peer = new EchoPeer();
        var clients = SetUpClients(server.EndPoint, secret, peer.EndPoint);
        long received = 0, lost = 0;
        var measuring = false;
        var stop = false;
        var threads = clients.Select(client => new Thread(() =>
        {
            var packet = new byte[4 + payload];
            BenchClient.ChannelDataHeader(packet, 0x4000, payload);
            var buffer = new byte[4096];
            client.Socket.ReceiveTimeout = 50;
            for (var i = 0; i < Window; i++)
            {
                client.Socket.Send(packet);
            }

            while (!Volatile.Read(ref stop))
            {
                try
                {
                    client.Socket.Receive(buffer);
                    if (Volatile.Read(ref measuring))
                    {
                        Interlocked.Increment(ref received);
                    }
                }
                catch (SocketException)
                {
                    if (Volatile.Read(ref measuring))
                    {
                        Interlocked.Increment(ref lost);
                    }
                }

                client.Socket.Send(packet);
            }
        }) { IsBackground = true }).ToList();
        threads.ForEach(t => t.Start());
        Thread.Sleep(1000); // warm-up: JIT, caches, socket buffers
        Volatile.Write(ref measuring, true);
        var cpuBefore = server.CpuTime();
        var watch = Stopwatch.StartNew();
        Thread.Sleep(duration);
        Volatile.Write(ref measuring, false);
        var elapsed = watch.Elapsed.TotalSeconds;
        var cpu = server.CpuTime() - cpuBefore;
        var echoes = Interlocked.Read(ref received);
        var missing = Interlocked.Read(ref lost);
        Volatile.Write(ref stop, true);
        threads.ForEach(t => t.Join());
        clients.ForEach(c => c.Dispose());
        return (2 * echoes / elapsed, missing / (double)Math.Max(1, echoes + missing), cpu.TotalMicroseconds / Math.Max(1, 2 * echoes));
    }

    /// <summary>
    /// Ping-pong with one packet in flight on one flow, 120-byte payloads: the round trip (client,
    /// relay, peer, relay, client) p50 and p99 in microseconds, without the load generator
    /// oversubscribing the two cores.
    /// </summary>
    private static (double P50, double P99) RoundTrips(IPEndPoint server, string secret, TimeSpan duration)
    {
        using var peer = new EchoPeer();
        var clients = SetUpClients(server, secret, peer.EndPoint, count: 1);
        var samples = new List<double>[clients.Count];
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var threads = clients.Select((client, index) => new Thread(() =>
        {
            var list = samples[index] = new List<double>(100_000);
            var packet = new byte[4 + 120];
            BenchClient.ChannelDataHeader(packet, 0x4000, 120);
            var buffer = new byte[4096];
            client.Socket.ReceiveTimeout = 1000;
            var warmUp = 200;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var sent = Stopwatch.GetTimestamp();
                client.Socket.Send(packet);
                try
                {
                    client.Socket.Receive(buffer);
                }
                catch (SocketException)
                {
                    continue;
                }

                if (warmUp-- <= 0)
                {
                    list.Add(Stopwatch.GetElapsedTime(sent).TotalMicroseconds);
                }
            }
        }) { IsBackground = true }).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        clients.ForEach(c => c.Dispose());
        var all = samples.SelectMany(s => s).Order().ToArray();
        return (Percentile(all, 0.50), Percentile(all, 0.99));
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    /// <summary>
    /// A client with an allocation. A 437 means the OS gave the new socket a port whose deleted
    /// allocation the server still remembers (coturn keeps them a while); another port is tried.
    /// </summary>
    private static BenchClient? NewAllocation(IPEndPoint server, string secret, string user)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var client = new BenchClient(server);
            if (client.Allocate(secret, user))
            {
                return client;
            }

            var error = client.LastError;
            client.Dispose();
            if (!error.EndsWith("437", StringComparison.Ordinal))
            {
                Console.WriteLine("  allocation failed: " + error);
                return null;
            }
        }

        return null;
    }

    private static List<BenchClient> SetUpClients(IPEndPoint server, string secret, IPEndPoint peer, int count = Clients)
    {
        var clients = new List<BenchClient>();
        for (var i = 0; i < count; i++)
        {
            var client = NewAllocation(server, secret, "flow-" + i) ?? throw new InvalidOperationException("could not allocate a relayed flow");
            if (!client.ChannelBind(0x4000, peer))
            {
                throw new InvalidOperationException("could not bind a channel: " + client.LastError);
            }

            clients.Add(client);
        }

        return clients;
    }

    /// <summary>The peer: echoes every datagram back to where it came from (the client's relayed address).</summary>
    private sealed class EchoPeer : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        private readonly Thread _thread;

        public EchoPeer()
        {
            _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _socket.ReceiveBufferSize = 4 << 20;
            _socket.SendBufferSize = 4 << 20;
            EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
            _thread = new Thread(Run) { IsBackground = true };
            _thread.Start();
        }

        public IPEndPoint EndPoint { get; }

        private void Run()
        {
            var buffer = new byte[4096];
            var from = new SocketAddress(AddressFamily.InterNetwork);
            try
            {
                while (true)
                {
                    var n = _socket.ReceiveFrom(buffer, SocketFlags.None, from);
                    _socket.SendTo(buffer.AsSpan(0, n), SocketFlags.None, from);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        }

        public void Dispose()
        {
            _socket.Dispose();
            _thread.Join(2000);
        }
    }
}
