using System.Buffers.Binary;
using VideoVisit.Media.Tests.Support;

namespace VideoVisit.Media.Tests.Turn;

/// <summary>
/// The portable transports (.NET asynchronous sockets, used where the Linux epoll loop is not)
/// relay the same way: the rest of the suite runs on the event loop.
/// </summary>
public sealed class PortableTransportTests : IDisposable
{
    private readonly RelayUnderTest _relay = RelayUnderTest.Start(o =>
    {
        o.AllowedPeers.Add("127.0.0.0/8");
        o.UseEventLoop = false;
    });

    public void Dispose() => _relay.Dispose();

    [Fact]
    public async Task WithoutTheEventLoopChannelDataAndIndicationsStillFlowBothWays()
    {
        Assert.Empty(_relay.Server.Loops);
        using var client = TestClient.Udp(_relay.UdpEndPoint);
        var (u, p) = _relay.Rest();
        var (credentials, allocated) = await client.AllocateAsync(u, p);
        Assert.True(allocated.IsSuccess);
        var relayed = allocated.XorRelayedAddress!.Value.ToIPEndPoint();
        using var peer = new TestPeer();
        using var other = new TestPeer();
        Assert.True((await client.RequestAsync(StunBuilder.ChannelBind(credentials, 0x4000, Addresses.Of(peer.EndPoint)))).IsSuccess);

        client.SendRaw(StunBuilder.ChannelData(0x4000, [1, 2, 3], pad: false));
        Assert.Equal(new byte[] { 1, 2, 3 }, peer.Receive()!.Value.Data);
        peer.SendTo(relayed, [4, 5]);
        var channelData = client.NextData()!;
        Assert.Equal(0x4000, BinaryPrimitives.ReadUInt16BigEndian(channelData));

        client.SendRaw(StunBuilder.SendIndication(Addresses.Of(other.EndPoint), [6]));
        Assert.Equal(new byte[] { 6 }, other.Receive()!.Value.Data); // same IP: the channel's permission covers it
        other.SendTo(relayed, [7]);
        Assert.Equal(new byte[] { 7 }, StunResponse.Parse(client.NextData()!).Data);
    }
}
