using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace RelayBench;

/// <summary>The figures one round produces for one server.</summary>
internal sealed record Figures(double Pps120, double Loss120, double CpuUs120, double Pps1200, double Loss1200, double CpuUs1200, double RttP50Us, double RttP99Us, double AllocationsPerSecond, double RssMiBPer1000, long BaselineRssKiB);

/// <summary>
/// The load generator, identical for both servers. The machines this runs on are shared, so the
/// two servers run side by side and every phase is cut into short slices that alternate between
/// them: whatever else the machine is doing falls on both alike.
/// Phases: allocations (the 401 round trip included) and the memory they cost; channels to an echo
/// peer with a fixed window of packets in flight per client (the relay's capacity, not a queue
/// overflowing); ping-pong round trips on one flow.
/// </summary>
internal static class LoadGenerator
{
    /// <summary>
    /// Allocations held per server for the memory figure (--allocations). 3,000 by default: with three
    /// servers, their client sockets and our relays' relayed sockets come out of the one ephemeral port
    /// range of the machine (32768–60999 here), which 5,000 each would nearly exhaust.
    /// </summary>
    public static int Allocations { get; set; } = 3000;
    private const int AllocationBatches = 5;
    private const int WarmUpAllocations = 300;
    private const int AllocationWorkers = 8;
    private const int Clients = 4;
    private const int Window = 16;

    public static Figures[] Run(ServerProcess[] servers, string secret, int slices, TimeSpan slice)
    {
        // Warm-up: a JIT-compiled server deserves what any benchmark gives it (coturn is compiled
        // ahead of time); both get the same allocations and traffic before anything is measured.
        // The warm-up sockets stay open until the allocations are measured: a new socket must not get
        // the port of a just-deleted allocation, which coturn remembers for a while (437).
        var warmUp = new List<BenchClient>();
        foreach (var server in servers)
        {
            var (_, clients) = Allocate(server.EndPoint, secret, WarmUpAllocations);
            DeleteAll(clients, dispose: false);
            warmUp.AddRange(clients);
            using var flows = Flows.SetUp(server, secret, Clients);
            Throughput(flows, 120, TimeSpan.FromSeconds(1));
        }

        Thread.Sleep(500);
        var baseline = servers.Select(s => s.RssKiB()).ToArray();
        var allocated = servers.Select(_ => new List<BenchClient>()).ToArray();
        var allocationTime = new double[servers.Length];
        for (var batch = 0; batch < AllocationBatches; batch++)
        {
            foreach (var i in Order(servers.Length, batch))
            {
                var (seconds, clients) = Allocate(servers[i].EndPoint, secret, Allocations / AllocationBatches);
                allocationTime[i] += seconds;
                allocated[i].AddRange(clients);
            }
        }

        Thread.Sleep(1000); // let the servers settle before reading their memory
        var perThousand = servers.Select((s, i) => (s.RssKiB() - baseline[i]) / 1024.0 / (allocated[i].Count / 1000.0)).ToArray();
        foreach (var clients in allocated)
        {
            DeleteAll(clients);
        }

        warmUp.ForEach(c => c.Dispose());

        var t120 = PairedThroughput(servers, secret, 120, slices, slice);
        var t1200 = PairedThroughput(servers, secret, 1200, slices, slice);
        var rtt = PairedRoundTrips(servers, secret, slices, slice);
        return servers.Select((_, i) => new Figures(
            t120[i].Pps, t120[i].Loss, t120[i].CpuUs, t1200[i].Pps, t1200[i].Loss, t1200[i].CpuUs,
            rtt[i].P50, rtt[i].P99, allocated[i].Count / allocationTime[i], perThousand[i], baseline[i])).ToArray();
    }

    /// <summary>0, 1 on even slices and 1, 0 on odd ones: neither server always goes first.</summary>
    private static IEnumerable<int> Order(int count, int slice) =>
        slice % 2 == 0 ? Enumerable.Range(0, count) : Enumerable.Range(0, count).Reverse();

    private static (double Pps, double Loss, double CpuUs)[] PairedThroughput(ServerProcess[] servers, string secret, int payload, int slices, TimeSpan slice)
    {
        var flows = servers.Select(s => Flows.SetUp(s, secret, Clients)).ToArray();
        var echoes = new long[servers.Length];
        var lost = new long[servers.Length];
        var seconds = new double[servers.Length];
        var cpu = new TimeSpan[servers.Length];
        for (var s = 0; s < slices; s++)
        {
            foreach (var i in Order(servers.Length, s))
            {
                var cpuBefore = servers[i].CpuTime();
                var (e, l, t) = Throughput(flows[i], payload, slice);
                cpu[i] += servers[i].CpuTime() - cpuBefore;
                echoes[i] += e;
                lost[i] += l;
                seconds[i] += t;
            }
        }

        foreach (var f in flows)
        {
            f.Dispose();
        }

        // Each echo crossed the relay twice: client to peer and back.
        return servers.Select((_, i) => (2 * echoes[i] / seconds[i], lost[i] / (double)Math.Max(1, echoes[i] + lost[i]), cpu[i].TotalMicroseconds / Math.Max(1, 2 * echoes[i]))).ToArray();
    }

    /// <summary>One slice of windowed traffic on a set of flows: echoes received, windows refilled after a loss, seconds.</summary>
    private static (long Echoes, long Lost, double Seconds) Throughput(Flows flows, int payload, TimeSpan length)
    {
        long received = 0, lost = 0;
        var stop = false;
        var watch = Stopwatch.StartNew();
        var threads = flows.Clients.Select(client => new Thread(() =>
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
                    Interlocked.Increment(ref received);
                }
                catch (SocketException)
                {
                    Interlocked.Increment(ref lost);
                }

                client.Socket.Send(packet);
            }
        }) { IsBackground = true }).ToList();
        threads.ForEach(t => t.Start());
        Thread.Sleep(length);
        Volatile.Write(ref stop, true);
        threads.ForEach(t => t.Join());
        var seconds = watch.Elapsed.TotalSeconds;
        flows.Drain();
        return (Interlocked.Read(ref received), Interlocked.Read(ref lost), seconds);
    }

    /// <summary>
    /// Ping-pong with one packet in flight on one flow per server, 120-byte payloads: the round trip
    /// (client, relay, peer, relay, client) p50 and p99 in microseconds.
    /// </summary>
    private static (double P50, double P99)[] PairedRoundTrips(ServerProcess[] servers, string secret, int slices, TimeSpan slice)
    {
        var flows = servers.Select(s => Flows.SetUp(s, secret, 1)).ToArray();
        var samples = servers.Select(_ => new List<double>(200_000)).ToArray();
        var packet = new byte[4 + 120];
        BenchClient.ChannelDataHeader(packet, 0x4000, 120);
        var buffer = new byte[4096];
        for (var s = 0; s < slices; s++)
        {
            foreach (var i in Order(servers.Length, s))
            {
                var socket = flows[i].Clients[0].Socket;
                socket.ReceiveTimeout = 1000;
                var deadline = Stopwatch.GetTimestamp() + (long)(slice.TotalSeconds * Stopwatch.Frequency);
                while (Stopwatch.GetTimestamp() < deadline)
                {
                    var sent = Stopwatch.GetTimestamp();
                    socket.Send(packet);
                    try
                    {
                        socket.Receive(buffer);
                    }
                    catch (SocketException)
                    {
                        continue;
                    }

                    samples[i].Add(Stopwatch.GetElapsedTime(sent).TotalMicroseconds);
                }
            }
        }

        foreach (var f in flows)
        {
            f.Dispose();
        }

        return samples.Select(list =>
        {
            var sorted = list.Order().ToArray();
            return (Percentile(sorted, 0.50), Percentile(sorted, 0.99));
        }).ToArray();
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    private static (double Seconds, List<BenchClient> Clients) Allocate(IPEndPoint server, string secret, int count)
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
        var seconds = watch.Elapsed.TotalSeconds;
        if (failures > 0)
        {
            Console.WriteLine($"  warning: {failures} of {count} allocations failed");
        }

        return (seconds, clients.Where(c => c is not null).Select(c => c!).ToList());
    }

    private static void DeleteAll(List<BenchClient> clients, bool dispose = true) =>
        Parallel.ForEach(clients, new ParallelOptions { MaxDegreeOfParallelism = AllocationWorkers }, c =>
        {
            c.Delete();
            if (dispose)
            {
                c.Dispose();
            }
        });

    /// <summary>
    /// A client with an allocation. A 437 means the OS gave the new socket a port whose deleted
    /// allocation the server still remembers (coturn keeps them a while); another port is tried.
    /// </summary>
    private static int s_retries;

    /// <summary>Allocations that had to be retried from another port (437), since start.</summary>
    public static int Retries => Volatile.Read(ref s_retries);

    private static BenchClient? NewAllocation(IPEndPoint server, string secret, string user)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            BenchClient client;
            try
            {
                client = new BenchClient(server);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                // No free ephemeral port right now (the machine is shared): wait and try again.
                Interlocked.Increment(ref s_retries);
                Thread.Sleep(50);
                continue;
            }

            if (client.Allocate(secret, user))
            {
                return client;
            }

            var error = client.LastError;
            client.Dispose();
            Interlocked.Increment(ref s_retries);
            if (!error.EndsWith("437", StringComparison.Ordinal))
            {
                Console.WriteLine("  allocation failed: " + error);
                return null;
            }
        }

        return null;
    }

    /// <summary>Clients with allocations and a channel each to one echo peer.</summary>
    private sealed class Flows : IDisposable
    {
        private readonly EchoPeer _peer = new();

        public List<BenchClient> Clients { get; } = [];

        public static Flows SetUp(ServerProcess server, string secret, int count)
        {
            var flows = new Flows();
            for (var i = 0; i < count; i++)
            {
                var client = NewAllocation(server.EndPoint, secret, "flow-" + i) ?? throw new InvalidOperationException("could not allocate a relayed flow");
                if (!client.ChannelBind(0x4000, flows._peer.EndPoint))
                {
                    throw new InvalidOperationException("could not bind a channel: " + client.LastError);
                }

                flows.Clients.Add(client);
            }

            return flows;
        }

        /// <summary>Reads what is still in flight, so the next slice starts empty.</summary>
        public void Drain()
        {
            var buffer = new byte[4096];
            foreach (var client in Clients)
            {
                client.Socket.ReceiveTimeout = 20;
                try
                {
                    while (true)
                    {
                        client.Socket.Receive(buffer);
                    }
                }
                catch (SocketException)
                {
                }
            }
        }

        public void Dispose()
        {
            Clients.ForEach(c => c.Dispose());
            _peer.Dispose();
        }
    }
}

/// <summary>The peer: echoes every datagram back to where it came from (the client's relayed address).</summary>
internal sealed class EchoPeer : IDisposable
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
