using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using VideoVisit.Media.Stun;
using VideoVisit.Media.Tests.Support;
using VideoVisit.Media.Transports;
using VideoVisit.Media.Turn;
using Xunit.Abstractions;

namespace VideoVisit.Media.Tests.Turn;

/// <summary>
/// Random and mutated datagrams and TCP streams through the parser and the dispatcher. The mutator
/// knows the credentials: a share of mutants get a fresh MESSAGE-INTEGRITY and FINGERPRINT, so
/// mutated attributes reach the handlers rather than stopping at the integrity check.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    private const int Datagrams = 1_000_000;
    private const int Streams = 100_000;

    [Fact]
    public void AMillionRandomAndMutatedDatagramsNeverEscapeTheDispatcherAndMemoryStaysBounded()
    {
        var fuzz = new Fuzzer(seed: 8489);
        var started = Stopwatch.StartNew();
        var memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < Datagrams; i++)
        {
            if (i % 5000 == 0)
            {
                fuzz.KeepAllocated();
            }

            var packet = fuzz.NextDatagram();
            _ = StunMessage.TryParse(packet, out _); // the parser alone
            fuzz.Server.HandleClientPacket(packet, fuzz.TupleFor(i), fuzz.Sink);
        }

        fuzz.Server.Sweep();
        var memoryAfter = GC.GetTotalMemory(forceFullCollection: true);
        output.WriteLine($"{Datagrams:N0} datagrams in {started.Elapsed.TotalSeconds:F1} s; {fuzz.Sink.Replies:N0} replies, all parseable; " +
            $"allocations {fuzz.Server.Allocations.Count}, relayed {fuzz.Server.Counters.PacketsToPeers:N0}, malformed {fuzz.Server.Counters.Dropped(TurnDropReason.Malformed):N0}; " +
            $"heap {memoryBefore / 1024} KiB -> {memoryAfter / 1024} KiB");

        Assert.Equal(0, fuzz.Log.Errors);
        Assert.Equal(0, fuzz.Sink.Unparseable);
        Assert.True(fuzz.Sink.Replies > Datagrams / 10, "too few replies: the fuzzer is not reaching the handlers");
        Assert.True(fuzz.Server.Counters.PacketsToPeers > 10_000, "mutated data never reached the relay path");
        Assert.True(fuzz.Server.Allocations.Count <= fuzz.Server.Options.MaxAllocations);
        Assert.True(memoryAfter - memoryBefore < 64L * 1024 * 1024, $"heap grew by {(memoryAfter - memoryBefore) / 1024 / 1024} MiB");
        fuzz.Dispose();
    }

    [Fact]
    public void AHundredThousandRandomAndMutatedTcpStreamsAreFramedAndDispatchedWithoutEscaping()
    {
        var fuzz = new Fuzzer(seed: 8656);
        var started = Stopwatch.StartNew();
        var frames = 0;
        var closed = 0;
        for (var i = 0; i < Streams; i++)
        {
            var stream = fuzz.NextStream();
            var tuple = fuzz.TupleFor(i, ClientTransport.Tcp);
            // Feed the stream in random chunks, as TCP would deliver it, through the listener's framing.
            var buffer = new byte[stream.Length];
            int filled = 0, consumed = 0;
            var ok = true;
            while (ok && filled < stream.Length)
            {
                var chunk = Math.Min(stream.Length - filled, 1 + fuzz.Random.Next(300));
                stream.AsSpan(filled, chunk).CopyTo(buffer.AsSpan(filled));
                filled += chunk;
                while (true)
                {
                    var frame = TcpFraming.Next(buffer.AsSpan(consumed, filled - consumed), out var length);
                    if (frame == TcpFraming.Frame.Incomplete)
                    {
                        break;
                    }

                    if (frame == TcpFraming.Frame.Invalid)
                    {
                        ok = false;
                        closed++;
                        break;
                    }

                    fuzz.Server.HandleClientPacket(buffer.AsSpan(consumed, length), tuple, fuzz.Sink);
                    consumed += length;
                    frames++;
                }
            }

            fuzz.Server.ClientClosed(tuple);
        }

        output.WriteLine($"{Streams:N0} streams, {frames:N0} frames, {closed:N0} closed as unframeable, in {started.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(0, fuzz.Log.Errors);
        Assert.Equal(0, fuzz.Sink.Unparseable);
        Assert.True(frames > Streams, "streams were not framed");
        Assert.DoesNotContain(fuzz.Server.Allocations.All, a => a.Tuple.Transport == ClientTransport.Tcp); // closed streams took theirs along
        fuzz.Dispose();
    }

    [Fact]
    public async Task GarbageOnRealSocketsLeavesTheListenersServing()
    {
        using var relay = RelayUnderTest.Start();
        var random = new Random(5769);
        using (var udp = TestClient.Udp(relay.UdpEndPoint))
        {
            for (var i = 0; i < 2000; i++)
            {
                var packet = new byte[random.Next(0, 1500)];
                random.NextBytes(packet);
                udp.SendRaw(packet);
            }

            Assert.True((await udp.RequestAsync(StunBuilder.Build(StunMethod.Binding, StunClass.Request))).IsSuccess);
        }

        for (var i = 0; i < 50; i++)
        {
            using var tcp = await TestClient.TcpAsync(relay.TcpEndPoint);
            var garbage = new byte[random.Next(1, 5000)];
            random.NextBytes(garbage);
            garbage[0] &= 0x7F; // half start like a STUN or ChannelData frame, so framing has to read on
            tcp.SendRaw(garbage);
        }

        using var after = await TestClient.TcpAsync(relay.TcpEndPoint);
        Assert.True((await after.RequestAsync(StunBuilder.Build(StunMethod.Binding, StunClass.Request))).IsSuccess);
    }

    /// <summary>Holds the dispatcher under test, a corpus of valid messages, and the mutator.</summary>
    private sealed class Fuzzer : IDisposable
    {
        private readonly List<byte[]> _corpus = [];
        private readonly byte[] _key;
        private readonly FiveTuple _allocated;

        public Fuzzer(int seed)
        {
            Random = new Random(seed);
            Time = new ManualTimeProvider();
            var options = new TurnOptions
            {
                ListenAddress = "127.0.0.1",
                SharedSecret = RelayUnderTest.Secret,
                UnauthenticatedRepliesPerSecond = 0,
                NonceLifetimeSeconds = 86400, // the clock moves during the run; stale nonces are tested elsewhere
                MaxAllocations = 32,
                MaxAllocationsPerUser = 32,
                AllocationBandwidthBytesPerSecond = 0,
            };
            options.AllowedPeers.Add("127.0.0.1/32"); // relayed fuzz goes to the discard port on loopback
            Server = new TurnServer(options, () => RelayUnderTest.Secret, Time, Log);

            // One real allocation with a channel and a permission, so ChannelData and Send
            // indications from its 5-tuple reach the relay path.
            _allocated = TupleFor(-1);
            var (user, password) = TurnRestCredentials.Issue(RelayUnderTest.Secret, "fuzz", Time.GetUtcNow().AddDays(1));
            var nonce = Server.Authenticator.NewNonce(_allocated.Client);
            var credentials = new ClientCredentials(user, password, "videovisit", nonce);
            _key = credentials.Key;
            var discard = Addresses.Of("127.0.0.1", 9);
            _setup =
            [
                StunBuilder.Allocate(credentials),
                StunBuilder.ChannelBind(credentials, 0x4000, discard),
                StunBuilder.CreatePermission(credentials, discard),
            ];
            _corpus.AddRange(_setup);
            KeepAllocated();
            if (Server.Allocations.Count != 1)
            {
                throw new InvalidOperationException("fuzz setup failed to allocate");
            }

            _corpus.Add(StunBuilder.Allocate(null));
            _corpus.Add(StunBuilder.Allocate(credentials, lifetime: 1200));
            _corpus.Add(StunBuilder.Refresh(credentials, 600));
            _corpus.Add(StunBuilder.Refresh(credentials, 0));
            _corpus.Add(StunBuilder.Allocate(credentials with { Sha256 = true }));
            _corpus.Add(StunBuilder.CreatePermission(credentials, Addresses.Of("127.0.0.1", 1), Addresses.Of("::ffff:127.0.0.1", 2)));
            _corpus.Add(StunBuilder.SendIndication(discard, new byte[120]));
            _corpus.Add(StunBuilder.ChannelData(0x4000, new byte[120], pad: false));
            _corpus.Add(StunBuilder.ChannelData(0x4000, new byte[3], pad: true));
            _corpus.Add(StunBuilder.Build(StunMethod.Binding, StunClass.Request));
            foreach (var file in Directory.EnumerateFiles(Path.Combine(TestData.Folder, "rfc5769"), "*.hex"))
            {
                _corpus.Add(TestData.Hex(Path.GetRelativePath(TestData.Folder, file)));
            }

            var chromium = Path.Combine(TestData.Folder, "chromium");
            if (Directory.Exists(chromium))
            {
                foreach (var file in Directory.EnumerateFiles(chromium, "*.hex"))
                {
                    _corpus.AddRange(TestData.Capture(Path.GetRelativePath(TestData.Folder, file)).Select(c => c.Bytes));
                }
            }
        }

        private readonly byte[][] _setup;

        public Random Random { get; }

        /// <summary>Re-creates the fuzzer's allocation, channel and permission when mutants deleted or outlived them.</summary>
        public void KeepAllocated()
        {
            if (!Server.Allocations.TryGet(_allocated, out _))
            {
                Server.HandleClientPacket(_setup[0], _allocated, Sink);
            }

            Server.HandleClientPacket(_setup[1], _allocated, Sink);
            Server.HandleClientPacket(_setup[2], _allocated, Sink);
        }

        public ManualTimeProvider Time { get; }

        public CountingLogger Log { get; } = new();

        public ParsingSink Sink { get; } = new();

        internal TurnServer Server { get; }

        /// <summary>Most packets come from the allocated 5-tuple; the rest from a small set of others.</summary>
        internal FiveTuple TupleFor(int i, ClientTransport transport = ClientTransport.Udp)
        {
            if (i >= 0 && transport == ClientTransport.Udp && (i & 1) == 0)
            {
                return _allocated;
            }

            var port = (ushort)(40000 + ((i & 0x7FFFFFFF) % 64));
            return new FiveTuple(transport, Addresses.Of("127.0.0.1", port), Addresses.Of("127.0.0.1", 3478));
        }

        public byte[] NextDatagram()
        {
            var r = Random.Next(100);
            if (r < 30)
            {
                return RandomPacket();
            }

            var packet = Mutate(_corpus[Random.Next(_corpus.Count)]);
            if (r < 70)
            {
                packet = Resign(packet);
            }

            if (r == 0 && Random.Next(100) == 0)
            {
                Time.Advance(TimeSpan.FromSeconds(Random.Next(0, 400))); // now and then, long enough for lifetimes to lapse
            }

            return packet;
        }

        public byte[] NextStream()
        {
            using var stream = new MemoryStream();
            var parts = 1 + Random.Next(6);
            for (var i = 0; i < parts; i++)
            {
                var part = Random.Next(10) switch
                {
                    0 => RandomPacket(),
                    < 5 => Pad(Resign(Mutate(_corpus[Random.Next(_corpus.Count)]))),
                    _ => Pad(_corpus[Random.Next(_corpus.Count)]),
                };
                stream.Write(part);
            }

            return stream.ToArray();
        }

        private static byte[] Pad(byte[] packet) => packet.Length % 4 == 0 ? packet : [.. packet, .. new byte[4 - packet.Length % 4]];

        private byte[] RandomPacket()
        {
            var packet = new byte[Random.Next(0, 700)];
            Random.NextBytes(packet);
            if (packet.Length >= 20 && Random.Next(2) == 0)
            {
                packet[0] &= 0x3F;
                BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), StunConstants.MagicCookie);
                var length = (packet.Length - 20) & ~3;
                BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)length);
                Array.Resize(ref packet, 20 + length);
            }
            else if (packet.Length >= 4 && Random.Next(3) == 0)
            {
                packet[0] = (byte)(0x40 | (packet[0] & 0x3F));
            }

            return packet;
        }

        private byte[] Mutate(byte[] original)
        {
            var packet = (byte[])original.Clone();
            var mutations = Random.Next(4) == 0 ? 1 + Random.Next(6) : 1; // mostly one: deep enough to stay parseable
            for (var m = 0; m < mutations; m++)
            {
                switch (Random.Next(8))
                {
                    case 0 when packet.Length > 0:
                        packet[Random.Next(packet.Length)] ^= (byte)(1 << Random.Next(8));
                        break;
                    case 1 when packet.Length > 0:
                        packet[Random.Next(packet.Length)] = (byte)Random.Next(256);
                        break;
                    case 2 when packet.Length > 0:
                        Array.Resize(ref packet, Random.Next(packet.Length));
                        break;
                    case 3:
                        var extra = new byte[Random.Next(1, 64)];
                        Random.NextBytes(extra);
                        packet = [.. packet, .. extra];
                        break;
                    case 4 when packet.Length >= 24:
                        // an attribute header: random type and length
                        var at = 20 + (Random.Next((packet.Length - 20) / 4) * 4);
                        if (at + 4 <= packet.Length)
                        {
                            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(at), (ushort)Random.Next(0x30));
                            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(at + 2), (ushort)Random.Next(64));
                        }

                        break;
                    case 5 when packet.Length >= 24:
                        // duplicate a slice of attributes
                        var from = 20 + (Random.Next((packet.Length - 20) / 4) * 4);
                        var count = Math.Min(packet.Length - from, 4 * Random.Next(1, 8));
                        packet = [.. packet[..from], .. packet.AsSpan(from, count), .. packet[from..]];
                        break;
                    case 6 when packet.Length >= 4:
                        // make the header length agree with the datagram
                        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)Math.Max(0, (packet.Length - (packet[0] < 0x40 ? 20 : 4)) & ~3));
                        break;
                    default:
                        if (packet.Length >= 2)
                        {
                            // another method or class
                            BinaryPrimitives.WriteUInt16BigEndian(packet, StunConstants.MessageType((ushort)Random.Next(1, 12), (StunClass)Random.Next(4)));
                        }

                        break;
                }
            }

            return packet;
        }

        /// <summary>Re-computes MESSAGE-INTEGRITY and FINGERPRINT at the end of the mutant's attributes.</summary>
        private byte[] Resign(byte[] packet)
        {
            if (packet.Length < 20 || packet[0] >= 0x40)
            {
                return packet;
            }

            var end = packet.Length;
            if (StunMessage.TryParse(packet, out var m))
            {
                end = m.AttributesEnd;
            }

            end = 20 + ((end - 20) & ~3);
            var output = new byte[end + 24 + 8];
            packet.AsSpan(0, end).CopyTo(output);
            BinaryPrimitives.WriteUInt32BigEndian(output.AsSpan(4), StunConstants.MagicCookie);
            BinaryPrimitives.WriteUInt16BigEndian(output.AsSpan(2), (ushort)(end - 20 + 24));
            BinaryPrimitives.WriteUInt32BigEndian(output.AsSpan(end), 0x00080014);
#pragma warning disable CA5350 // MESSAGE-INTEGRITY is HMAC-SHA1 by definition
            HMACSHA1.HashData(_key, output.AsSpan(0, end), output.AsSpan(end + 4, 20));
#pragma warning restore CA5350
            BinaryPrimitives.WriteUInt16BigEndian(output.AsSpan(2), (ushort)(end - 20 + 32));
            BinaryPrimitives.WriteUInt32BigEndian(output.AsSpan(end + 24), 0x80280004);
            BinaryPrimitives.WriteUInt32BigEndian(output.AsSpan(end + 28), System.IO.Hashing.Crc32.HashToUInt32(output.AsSpan(0, end + 24)) ^ 0x5354554E);
            return output;
        }

        public void Dispose() => Server.Dispose();
    }

    /// <summary>Takes every reply the dispatcher sends and checks it is a well-formed STUN or ChannelData message.</summary>
    private sealed class ParsingSink : IClientSink
    {
        public long Replies { get; private set; }

        public long Unparseable { get; private set; }

        public bool IsStream => false;

        public void Send(ReadOnlySpan<byte> packet)
        {
            Replies++;
            if (packet.Length < 4 || (packet[0] < 0x40 ? !StunMessage.TryParse(packet, out _) : BinaryPrimitives.ReadUInt16BigEndian(packet[2..]) + 4 > packet.Length))
            {
                Unparseable++;
            }
        }

        public IClientSink Persist() => this;
    }
}
