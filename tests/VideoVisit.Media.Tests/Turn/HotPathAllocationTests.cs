using System.Net;
using System.Net.Sockets;
using VideoVisit.Media.Tests.Support;
using VideoVisit.Media.Transports;
using VideoVisit.Media.Turn;

namespace VideoVisit.Media.Tests.Turn;

/// <summary>The relay's packet paths allocate nothing per packet, so the GC never pauses media.</summary>
public sealed class HotPathAllocationTests
{
    [Fact]
    public void RelayingChannelDataBothWaysAllocatesNothingPerPacket()
    {
        // The bandwidth cap is off: the clock stands still here, so its bucket would never refill.
        var options = new TurnOptions { ListenAddress = "127.0.0.1", SharedSecret = RelayUnderTest.Secret, AllocationBandwidthBytesPerSecond = 0 };
        options.AllowedPeers.Add("127.0.0.1/32");
        var time = new ManualTimeProvider();
        using var server = new TurnServer(options, () => RelayUnderTest.Secret, time, new CountingLogger());
        var sink = new NullSink();
        var tuple = new FiveTuple(ClientTransport.Udp, Addresses.Of("127.0.0.1", 40000), Addresses.Of("127.0.0.1", 3478));
        var (user, password) = TurnRestCredentials.Issue(RelayUnderTest.Secret, "hot", time.GetUtcNow().AddHours(1));
        var credentials = new ClientCredentials(user, password, "videovisit", server.Authenticator.NewNonce(tuple.Client));
        var discard = Addresses.Of("127.0.0.1", 9);
        server.HandleClientPacket(StunBuilder.Allocate(credentials), tuple, sink);
        server.HandleClientPacket(StunBuilder.ChannelBind(credentials, 0x4000, discard), tuple, sink);
        var allocation = Assert.Single(server.Allocations.All);

        var channelData = StunBuilder.ChannelData(0x4000, new byte[120], pad: false);
        var peerBuffer = new byte[RelaySocket.Headroom + RelaySocket.MaxDatagram + 4];
        var peerAddress = new IPEndPoint(IPAddress.Loopback, 9).Serialize();
        var unknownPeer = new IPEndPoint(IPAddress.Loopback, 10).Serialize(); // permission by IP: Data indication path
        for (var i = 0; i < 1000; i++) // warm up: JIT tiers, lazy statics
        {
            server.HandleClientPacket(channelData, tuple, sink);
            server.HandlePeerPacket(allocation, peerBuffer, 120, peerAddress);
            server.HandlePeerPacket(allocation, peerBuffer, 120, unknownPeer);
        }

        // The runtime itself may allocate a few KiB once in a while (tiered JIT recompiling a
        // method mid-loop), so the quietest of three rounds is taken. Even one small object per
        // packet would be 24 B × 30,000 = 720,000 bytes: the bound below is under 1 byte a packet.
        var allocated = long.MaxValue;
        for (var round = 0; round < 3; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 10_000; i++)
            {
                server.HandleClientPacket(channelData, tuple, sink);
                server.HandlePeerPacket(allocation, peerBuffer, 120, peerAddress);
                server.HandlePeerPacket(allocation, peerBuffer, 120, unknownPeer);
            }

            allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.True(allocated < 1024, $"{allocated} bytes allocated for 30,000 relayed packets (quietest of 3 rounds)");
        Assert.True(server.Counters.PacketsToClients >= 60_000, $"to clients {server.Counters.PacketsToClients}, to peers {server.Counters.PacketsToPeers}, drops {string.Join(",", server.Counters.Drops())}, channels {allocation.ChannelCount}");
    }

    private sealed class NullSink : IClientSink
    {
        public bool IsStream => false;

        public void Send(ReadOnlySpan<byte> packet)
        {
        }

        public IClientSink Persist() => this;
    }
}
