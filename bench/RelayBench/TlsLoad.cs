using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RelayBench;

/// <summary>The TLS figures one round produces for one server.</summary>
internal sealed record TlsFigures(double Pps120, double CpuUs120, double Pps1200, double CpuUs1200, double HandshakesPerSecond, double CpuMsPerHandshake, double HandshakeP50Ms);

/// <summary>
/// TURN over TLS against each server's TLS listener, in the same alternating slices as the UDP
/// phases: relayed packets/s with a closed window of ChannelData messages per client over TLS to a
/// UDP echo peer, and full TLS handshakes (new connection, no resumption, ALPN stun.turn) per second.
/// </summary>
internal static class TlsLoad
{
    private const int Clients = 4;
    private const int Window = 16;
    private const int HandshakeWorkers = 4;

    /// <summary>A self-signed P-256 certificate for localhost, written as PEM files in <paramref name="folder"/>.</summary>
    public static (TlsFiles Files, X509Certificate2 Certificate) MakeCertificate(string folder)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        var files = new TlsFiles(Path.Combine(folder, "relay.crt"), Path.Combine(folder, "relay.key"));
        File.WriteAllText(files.CertificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(files.KeyPath, key.ExportPkcs8PrivateKeyPem());
        return (files, X509CertificateLoader.LoadCertificate(certificate.RawData));
    }

    public static TlsFigures[] Run(ServerProcess[] servers, string secret, X509Certificate2 certificate, int slices, TimeSpan slice)
    {
        // Warm-up: a second of traffic and a few handshakes each (JIT, OpenSSL's first contexts).
        foreach (var server in servers)
        {
            using var flows = TlsFlows.SetUp(server, secret, certificate, Clients);
            Throughput(flows, 120, TimeSpan.FromSeconds(1));
            Handshakes(server, certificate, TimeSpan.FromMilliseconds(500));
        }

        var t120 = PairedThroughput(servers, secret, certificate, 120, slices, slice);
        var t1200 = PairedThroughput(servers, secret, certificate, 1200, slices, slice);
        var handshakes = PairedHandshakes(servers, certificate, slices, slice);
        return servers.Select((_, i) => new TlsFigures(t120[i].Pps, t120[i].CpuUs, t1200[i].Pps, t1200[i].CpuUs,
            handshakes[i].PerSecond, handshakes[i].CpuMs, handshakes[i].P50Ms)).ToArray();
    }

    private static IEnumerable<int> Order(int count, int slice) =>
        slice % 2 == 0 ? Enumerable.Range(0, count) : Enumerable.Range(0, count).Reverse();

    private static (double Pps, double CpuUs)[] PairedThroughput(ServerProcess[] servers, string secret, X509Certificate2 certificate, int payload, int slices, TimeSpan slice)
    {
        var flows = servers.Select(s => TlsFlows.SetUp(s, secret, certificate, Clients)).ToArray();
        var echoes = new long[servers.Length];
        var seconds = new double[servers.Length];
        var cpu = new TimeSpan[servers.Length];
        for (var s = 0; s < slices; s++)
        {
            foreach (var i in Order(servers.Length, s))
            {
                var cpuBefore = servers[i].CpuTime();
                var (e, t) = Throughput(flows[i], payload, slice);
                cpu[i] += servers[i].CpuTime() - cpuBefore;
                echoes[i] += e;
                seconds[i] += t;
            }
        }

        foreach (var f in flows)
        {
            f.Dispose();
        }

        // Each echo crossed the relay twice: client to peer and back.
        return servers.Select((_, i) => (2 * echoes[i] / seconds[i], cpu[i].TotalMicroseconds / Math.Max(1, 2 * echoes[i]))).ToArray();
    }

    /// <summary>
    /// One slice: every client keeps <see cref="Window"/> ChannelData messages in flight; echoes
    /// received until the slice ends are counted, then what is still in flight is read (a stream
    /// loses nothing), so the next slice starts empty.
    /// </summary>
    private static (long Echoes, double Seconds) Throughput(TlsFlows flows, int payload, TimeSpan length)
    {
        long received = 0;
        var stop = false;
        var failure = (Exception?)null;
        var watch = Stopwatch.StartNew();
        var threads = flows.Clients.Select(client => new Thread(() =>
        {
            try
            {
                var packet = new byte[4 + payload];
                BenchClient.ChannelDataHeader(packet, 0x4000, payload);
                var buffer = new byte[4096];
                for (var i = 0; i < Window; i++)
                {
                    client.Send(packet);
                }

                while (!Volatile.Read(ref stop))
                {
                    client.Receive(buffer);
                    Interlocked.Increment(ref received);
                    client.Send(packet);
                }

                for (var i = 0; i < Window; i++)
                {
                    client.Receive(buffer);
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
        }) { IsBackground = true }).ToList();
        threads.ForEach(t => t.Start());
        Thread.Sleep(length);
        Volatile.Write(ref stop, true);
        var seconds = watch.Elapsed.TotalSeconds;
        var counted = Interlocked.Read(ref received);
        threads.ForEach(t => t.Join());
        if (failure is not null)
        {
            throw new InvalidOperationException("a TLS flow failed: " + failure.Message, failure);
        }

        return (counted, seconds);
    }

    private static (double PerSecond, double CpuMs, double P50Ms)[] PairedHandshakes(ServerProcess[] servers, X509Certificate2 certificate, int slices, TimeSpan slice)
    {
        var count = new long[servers.Length];
        var seconds = new double[servers.Length];
        var cpu = new TimeSpan[servers.Length];
        var latencies = servers.Select(_ => new List<double>()).ToArray();
        for (var s = 0; s < slices; s++)
        {
            foreach (var i in Order(servers.Length, s))
            {
                var cpuBefore = servers[i].CpuTime();
                var (n, t, samples) = Handshakes(servers[i], certificate, slice);
                cpu[i] += servers[i].CpuTime() - cpuBefore;
                count[i] += n;
                seconds[i] += t;
                latencies[i].AddRange(samples);
            }
        }

        return servers.Select((_, i) =>
        {
            var sorted = latencies[i].Order().ToArray();
            var p50 = sorted.Length == 0 ? double.NaN : sorted[sorted.Length / 2];
            return (count[i] / seconds[i], cpu[i].TotalMilliseconds / Math.Max(1, count[i]), p50);
        }).ToArray();
    }

    /// <summary>
    /// <see cref="HandshakeWorkers"/> clients each connecting, completing a full handshake and closing,
    /// over and over for one slice: handshakes, seconds, and each one's time from connect to finished.
    /// </summary>
    private static (long Count, double Seconds, List<double> Milliseconds) Handshakes(ServerProcess server, X509Certificate2 certificate, TimeSpan length)
    {
        long count = 0;
        var samples = new List<double>();
        var failures = 0;
        var deadline = Stopwatch.GetTimestamp() + (long)(length.TotalSeconds * Stopwatch.Frequency);
        var watch = Stopwatch.StartNew();
        var threads = Enumerable.Range(0, HandshakeWorkers).Select(_ => new Thread(() =>
        {
            var mine = new List<double>();
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var client = TlsBenchClient.Connect(server.TlsEndPoint!, certificate);
                    mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    Interlocked.Increment(ref count);
                }
                catch (Exception e) when (e is SocketException or IOException or System.Security.Authentication.AuthenticationException)
                {
                    Interlocked.Increment(ref failures);
                }
            }

            lock (samples)
            {
                samples.AddRange(mine);
            }
        }) { IsBackground = true }).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        if (failures > 0)
        {
            Console.WriteLine($"  warning: {failures} TLS handshakes with {server.Name} failed");
        }

        return (count, watch.Elapsed.TotalSeconds, samples);
    }

    /// <summary>TLS clients with allocations and a channel each to one UDP echo peer.</summary>
    private sealed class TlsFlows : IDisposable
    {
        private readonly EchoPeer _peer = new();

        public List<TlsBenchClient> Clients { get; } = [];

        public static TlsFlows SetUp(ServerProcess server, string secret, X509Certificate2 certificate, int count)
        {
            var flows = new TlsFlows();
            for (var i = 0; i < count; i++)
            {
                var client = TlsBenchClient.Connect(server.TlsEndPoint!, certificate);
                if (!client.Allocate(secret, "tls-flow-" + i) || !client.ChannelBind(0x4000, flows._peer.EndPoint))
                {
                    throw new InvalidOperationException($"{server.Name}: could not set up a TLS flow: {client.LastError}");
                }

                flows.Clients.Add(client);
            }

            return flows;
        }

        public void Dispose()
        {
            Clients.ForEach(c => c.Dispose());
            _peer.Dispose();
        }
    }
}
