using System.Buffers.Binary;
using System.Net;
using VideoVisit.Media.Stun;
using VideoVisit.Media.Tests.Support;
using VideoVisit.Media.Turn;

namespace VideoVisit.Media.Tests.Turn;

public sealed class RelayTests : IDisposable
{
    // Nonces outlive the clock jumps these tests make; their staleness is tested in AuthenticationTests.
    private readonly RelayUnderTest _relay = RelayUnderTest.Start(o =>
    {
        o.AllowedPeers.Add("127.0.0.0/8");
        o.NonceLifetimeSeconds = 86400;
    });

    public void Dispose() => _relay.Dispose();

    private async Task<(TestClient Client, ClientCredentials Credentials, IPEndPoint Relayed)> AllocatedClientAsync(bool tcp = false, string user = "alice")
    {
        var client = tcp ? await TestClient.TcpAsync(_relay.TcpEndPoint) : TestClient.Udp(_relay.UdpEndPoint);
        var (u, p) = _relay.Rest(user);
        var (credentials, r) = await client.AllocateAsync(u, p);
        Assert.True(r.IsSuccess, "allocate failed with " + r.ErrorCode);
        return (client, credentials, r.XorRelayedAddress!.Value.ToIPEndPoint());
    }

    [Fact]
    public async Task TheRelayedAddressIsOnTheListenAddress()
    {
        var (client, _, relayed) = await AllocatedClientAsync();
        using var _ = client;
        Assert.Equal(IPAddress.Loopback, relayed.Address);
        Assert.NotEqual(0, relayed.Port);
    }

    [Fact]
    public async Task SendIndicationReachesThePeerAndThePeerAnswersAsADataIndication()
    {
        var (client, credentials, relayed) = await AllocatedClientAsync();
        using var _ = client;
        using var peer = new TestPeer();
        var peerAddress = Addresses.Of(peer.EndPoint);
        Assert.True((await client.RequestAsync(StunBuilder.CreatePermission(credentials, peerAddress))).IsSuccess);

        client.SendRaw(StunBuilder.SendIndication(peerAddress, [1, 2, 3, 4, 5]));
        var received = peer.Receive();
        Assert.NotNull(received);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, received.Value.Data);
        Assert.Equal(relayed, received.Value.From);

        peer.SendTo(relayed, [9, 8, 7]);
        var data = StunResponse.Parse(client.NextData()!);
        Assert.Equal(StunMethod.Data, data.Method);
        Assert.Equal(peerAddress, data.XorPeerAddress);
        Assert.Equal(new byte[] { 9, 8, 7 }, data.Data);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ChannelDataFlowsBothWaysOverUdpAndTcp(bool tcp)
    {
        var (client, credentials, relayed) = await AllocatedClientAsync(tcp);
        using var _ = client;
        using var peer = new TestPeer();
        var r = await client.RequestAsync(StunBuilder.ChannelBind(credentials, 0x4001, Addresses.Of(peer.EndPoint)));
        Assert.True(r.IsSuccess, "bind failed with " + r.ErrorCode);

        client.SendRaw(StunBuilder.ChannelData(0x4001, [1, 2, 3, 4, 5], pad: tcp));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, peer.Receive()!.Value.Data);

        peer.SendTo(relayed, [7, 7, 7]);
        var channelData = client.NextData()!;
        Assert.Equal(0x4001, BinaryPrimitives.ReadUInt16BigEndian(channelData));
        Assert.Equal(3, BinaryPrimitives.ReadUInt16BigEndian(channelData.AsSpan(2)));
        Assert.Equal(new byte[] { 7, 7, 7 }, channelData.AsSpan(4, 3).ToArray());
        Assert.Equal(tcp ? 8 : 7, channelData.Length); // padded to 4 bytes over TCP only
    }

    [Fact]
    public async Task APeerWithoutAPermissionIsNotRelayed()
    {
        var (client, credentials, relayed) = await AllocatedClientAsync();
        using var _ = client;
        using var allowed = new TestPeer();
        using var stranger = new TestPeer();
        Assert.True((await client.RequestAsync(StunBuilder.CreatePermission(credentials, Addresses.Of("127.0.0.2", 9)))).IsSuccess);

        client.SendRaw(StunBuilder.SendIndication(Addresses.Of(stranger.EndPoint), [1]));
        Assert.Null(stranger.Receive(TimeSpan.FromMilliseconds(300)));

        stranger.SendTo(relayed, [1, 2]);
        Assert.Null(client.NextData(TimeSpan.FromMilliseconds(300)));
        Assert.True(_relay.Counters.Dropped(TurnDropReason.NoPermission) >= 2);
    }

    [Fact]
    public async Task ASecondAllocateOnTheSame5TupleGets437AndARetransmissionGetsTheSameAnswer()
    {
        using var client = TestClient.Udp(_relay.UdpEndPoint);
        var (u, p) = _relay.Rest();
        var credentials = await client.ChallengeAsync(u, p);
        var tid = StunBuilder.NewTransactionId();
        var first = await client.RequestAsync(StunBuilder.Allocate(credentials, tid));
        var retransmitted = await client.RequestAsync(StunBuilder.Allocate(credentials, tid));
        Assert.True(first.IsSuccess);
        Assert.True(retransmitted.IsSuccess);
        Assert.Equal(first.XorRelayedAddress, retransmitted.XorRelayedAddress);

        var second = await client.RequestAsync(StunBuilder.Allocate(credentials));
        Assert.Equal(437, second.ErrorCode);
        Assert.True(second.IntegrityValidWith(credentials.Key));
    }

    [Fact]
    public async Task AllocateWithoutRequestedTransportGets400AndWithTcpGets442()
    {
        using var client = TestClient.Udp(_relay.UdpEndPoint);
        var (u, p) = _relay.Rest();
        var credentials = await client.ChallengeAsync(u, p);
        var missing = await client.RequestAsync(StunBuilder.Build(StunMethod.Allocate, StunClass.Request, null, credentials));
        Assert.Equal(400, missing.ErrorCode);
        var tcp = await client.RequestAsync(StunBuilder.Allocate(credentials, transport: 6));
        Assert.Equal(442, tcp.ErrorCode);
    }

    [Fact]
    public async Task AllocateAskingForAnIPv6RelayGets440()
    {
        using var client = TestClient.Udp(_relay.UdpEndPoint);
        var (u, p) = _relay.Rest();
        var credentials = await client.ChallengeAsync(u, p);
        var r = await client.RequestAsync(StunBuilder.Build(StunMethod.Allocate, StunClass.Request, (ref StunWriter w, ReadOnlySpan<byte> _) =>
        {
            VideoVisit.Media.Stun.Attributes.RequestedTransportAttribute.Write(ref w, 17);
            VideoVisit.Media.Stun.Attributes.RequestedAddressFamilyAttribute.Write(ref w, 2);
        }, credentials));
        Assert.Equal(440, r.ErrorCode);
    }

    [Fact]
    public async Task AllocateWithDontFragmentSucceedsAndRelays()
    {
        using var client = TestClient.Udp(_relay.UdpEndPoint);
        var (u, p) = _relay.Rest();
        var credentials = await client.ChallengeAsync(u, p);
        var r = await client.RequestAsync(StunBuilder.Build(StunMethod.Allocate, StunClass.Request, (ref StunWriter w, ReadOnlySpan<byte> _) =>
        {
            VideoVisit.Media.Stun.Attributes.RequestedTransportAttribute.Write(ref w, 17);
            VideoVisit.Media.Stun.Attributes.DontFragmentAttribute.Write(ref w);
        }, credentials));
        Assert.True(r.IsSuccess, "error " + r.ErrorCode);
        using var peer = new TestPeer();
        Assert.True((await client.RequestAsync(StunBuilder.ChannelBind(credentials, 0x4000, Addresses.Of(peer.EndPoint)))).IsSuccess);
        client.SendRaw(StunBuilder.ChannelData(0x4000, [1, 2], pad: false));
        Assert.Equal(new byte[] { 1, 2 }, peer.Receive()!.Value.Data);
    }

    [Fact]
    public async Task RefreshWithZeroLifetimeDeletesTheAllocation()
    {
        var (client, credentials, relayed) = await AllocatedClientAsync();
        using var _ = client;
        var r = await client.RequestAsync(StunBuilder.Refresh(credentials, 0));
        Assert.True(r.IsSuccess);
        Assert.Equal(0u, r.Lifetime);
        Assert.Equal(0, _relay.Server.Allocations.Count);
        Assert.Equal(437, (await client.RequestAsync(StunBuilder.Refresh(credentials, 600))).ErrorCode);
    }

    [Fact]
    public async Task RefreshGrantsTheRequestedLifetimeUpToTheMaximum()
    {
        var (client, credentials, _) = await AllocatedClientAsync();
        using var __ = client;
        Assert.Equal(1200u, (await client.RequestAsync(StunBuilder.Refresh(credentials, 1200))).Lifetime);
        Assert.Equal(3600u, (await client.RequestAsync(StunBuilder.Refresh(credentials, 999_999))).Lifetime);
        Assert.Equal(600u, (await client.RequestAsync(StunBuilder.Refresh(credentials, null))).Lifetime);
    }

    [Fact]
    public async Task AnAllocationExpiresWhenItsLifetimeRunsOut()
    {
        var (client, credentials, _) = await AllocatedClientAsync();
        using var __ = client;
        _relay.Time.Advance(TimeSpan.FromSeconds(601));
        Assert.Equal(437, (await client.RequestAsync(StunBuilder.Refresh(credentials, 600))).ErrorCode);
        _relay.Server.Sweep();
        Assert.Equal(0, _relay.Server.Allocations.Count);
        Assert.Equal(1, _relay.Counters.AllocationsDeleted);
    }

    [Fact]
    public async Task PermissionsExpireAfterFiveMinutesAndChannelsAfterTen()
    {
        var (client, credentials, relayed) = await AllocatedClientAsync();
        using var _ = client;
        using var peer = new TestPeer();
        Assert.True((await client.RequestAsync(StunBuilder.Refresh(credentials, 3600))).IsSuccess);
        Assert.True((await client.RequestAsync(StunBuilder.ChannelBind(credentials, 0x4000, Addresses.Of(peer.EndPoint)))).IsSuccess);

        _relay.Time.Advance(TimeSpan.FromSeconds(301));
        client.SendRaw(StunBuilder.ChannelData(0x4000, [1], pad: false));
        Assert.Null(peer.Receive(TimeSpan.FromMilliseconds(300))); // the permission lapsed

        Assert.True((await client.RequestAsync(StunBuilder.CreatePermission(credentials, Addresses.Of(peer.EndPoint)))).IsSuccess);
        client.SendRaw(StunBuilder.ChannelData(0x4000, [2], pad: false));
        Assert.Equal(new byte[] { 2 }, peer.Receive()!.Value.Data);

        _relay.Time.Advance(TimeSpan.FromSeconds(300));
        Assert.True((await client.RequestAsync(StunBuilder.CreatePermission(credentials, Addresses.Of(peer.EndPoint)))).IsSuccess);
        client.SendRaw(StunBuilder.ChannelData(0x4000, [3], pad: false));
        Assert.Null(peer.Receive(TimeSpan.FromMilliseconds(300))); // the channel lapsed at 600 s
    }

    [Theory]
    [InlineData(0x3FFF)]
    [InlineData(0x8000)]
    public async Task AChannelNumberOutsideTheRangeGets400(int channel)
    {
        var (client, credentials, _) = await AllocatedClientAsync();
        using var __ = client;
        using var peer = new TestPeer();
        Assert.Equal(400, (await client.RequestAsync(StunBuilder.ChannelBind(credentials, (ushort)channel, Addresses.Of(peer.EndPoint)))).ErrorCode);
    }

    [Theory]
    [InlineData(0x5000)]
    [InlineData(0x7FFF)]
    public async Task ChannelNumbersOfRfc5766AreAcceptedByDefaultAsCoturnDoes(int channel)
    {
        var (client, credentials, _) = await AllocatedClientAsync();
        using var __ = client;
        using var peer = new TestPeer();
        var bound = await client.RequestAsync(StunBuilder.ChannelBind(credentials, (ushort)channel, Addresses.Of(peer.EndPoint)));
        Assert.True(bound.IsSuccess, "error " + bound.ErrorCode);
    }

    [Fact]
    public async Task TheStrictRfc8656RangeRefusesChannel0x5000WhenSwitchedOn()
    {
        using var relay = RelayUnderTest.Start(o =>
        {
            o.AllowedPeers.Add("127.0.0.0/8");
            o.AllowRfc5766ChannelNumbers = false;
        });
        using var client = TestClient.Udp(relay.UdpEndPoint);
        var (u, p) = relay.Rest();
        var (credentials, allocated) = await client.AllocateAsync(u, p);
        Assert.True(allocated.IsSuccess);
        using var peer = new TestPeer();
        Assert.Equal(400, (await client.RequestAsync(StunBuilder.ChannelBind(credentials, 0x5000, Addresses.Of(peer.EndPoint)))).ErrorCode);
        Assert.True((await client.RequestAsync(StunBuilder.ChannelBind(credentials, 0x4FFF, Addresses.Of(peer.EndPoint)))).IsSuccess);
    }

    [Fact]
    public async Task AChannelBoundToOnePeerCannotBeReboundToAnotherNorThePeerToAnotherChannel()
    {
        var (client, credentials, _) = await AllocatedClientAsync();
        using var __ = client;
        using var peer = new TestPeer();
        using var other = new TestPeer();
        Assert.True((await client.RequestAsync(StunBuilder.ChannelBind(credentials, 0x4000, Addresses.Of(peer.EndPoint)))).IsSuccess);
        Assert.True((await client.RequestAsync(StunBuilder.ChannelBind(credentials, 0x4000, Addresses.Of(peer.EndPoint)))).IsSuccess); // refresh
        Assert.Equal(400, (await client.RequestAsync(StunBuilder.ChannelBind(credentials, 0x4000, Addresses.Of(other.EndPoint)))).ErrorCode);
        Assert.Equal(400, (await client.RequestAsync(StunBuilder.ChannelBind(credentials, 0x4001, Addresses.Of(peer.EndPoint)))).ErrorCode);
    }

    [Fact]
    public async Task ClosingTheTcpConnectionDeletesItsAllocation()
    {
        var (client, _, _) = await AllocatedClientAsync(tcp: true);
        Assert.Equal(1, _relay.Server.Allocations.Count);
        client.Dispose();
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (_relay.Server.Allocations.Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(0, _relay.Server.Allocations.Count);
    }

    [Fact]
    public async Task TheBandwidthCapDropsWhatExceedsIt()
    {
        using var relay = RelayUnderTest.Start(o =>
        {
            o.AllowedPeers.Add("127.0.0.0/8");
            o.AllocationBandwidthBytesPerSecond = 1000;
        });
        using var client = TestClient.Udp(relay.UdpEndPoint);
        var (u, p) = relay.Rest();
        var (credentials, _) = await client.AllocateAsync(u, p);
        using var peer = new TestPeer();
        Assert.True((await client.RequestAsync(StunBuilder.ChannelBind(credentials, 0x4000, Addresses.Of(peer.EndPoint)))).IsSuccess);
        for (var i = 0; i < 10; i++)
        {
            client.SendRaw(StunBuilder.ChannelData(0x4000, new byte[400], pad: false));
        }

        var delivered = 0;
        while (peer.Receive(TimeSpan.FromMilliseconds(300)) is not null)
        {
            delivered++;
        }

        Assert.Equal(2, delivered); // 1000-byte burst, the clock stands still
        Assert.Equal(8, relay.Counters.Dropped(TurnDropReason.BandwidthExceeded));
    }

    [Fact]
    public async Task MalformedDatagramsAreDroppedAndCountedAndTheListenerKeepsServing()
    {
        using var client = TestClient.Udp(_relay.UdpEndPoint);
        client.SendRaw([0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        client.SendRaw([0x00, 0x01, 0x00]);
        client.SendRaw(new byte[20]);
        client.SendRaw([0x40, 0x00, 0xFF, 0xFF, 1]);
        var r = await client.RequestAsync(StunBuilder.Build(StunMethod.Binding, StunClass.Request));
        Assert.True(r.IsSuccess);
        Assert.True(_relay.Counters.Dropped(TurnDropReason.Malformed) >= 3);
    }

    [Fact]
    public async Task AnUnframeableTcpStreamIsClosedAndCounted()
    {
        using var client = await TestClient.TcpAsync(_relay.TcpEndPoint);
        client.SendRaw([0xC0, 0, 0, 0, 0, 0, 0, 0]);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (_relay.Counters.Dropped(TurnDropReason.Malformed) == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(1, _relay.Counters.Dropped(TurnDropReason.Malformed));
    }
}
