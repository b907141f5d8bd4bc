using System.Net;
using VideoVisit.Media.Stun;
using VideoVisit.Media.Tests.Support;

namespace VideoVisit.Media.Tests.Turn;

/// <summary>
/// The relay on its defaults (listening on 0.0.0.0, no Turn:RelayAddress, no Turn:AllowedPeers), as
/// <c>dotnet run</c> starts it: the relayed address a client gets is the address it reached, over UDP
/// as over TCP, and two clients of this relay on one machine can be each other's peers, while the
/// peer policy still refuses every other loopback or private destination.
/// </summary>
public sealed class DefaultAddressTests : IDisposable
{
    private readonly RelayUnderTest _relay = RelayUnderTest.Start(wildcard: true);

    public void Dispose() => _relay.Dispose();

    private async Task<(TestClient Client, ClientCredentials Credentials, IPEndPoint Relayed)> AllocateAsync(bool tcp, string user)
    {
        var client = tcp ? await TestClient.TcpAsync(_relay.TcpEndPoint) : TestClient.Udp(_relay.UdpEndPoint);
        var (u, p) = _relay.Rest(user);
        var (credentials, r) = await client.AllocateAsync(u, p);
        Assert.True(r.IsSuccess, "allocate failed with " + r.ErrorCode);
        return (client, credentials, r.XorRelayedAddress!.Value.ToIPEndPoint());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AClientOnThisMachineGetsARelayedAddressOnLoopbackOverUdpAsOverTcp(bool tcp)
    {
        var (client, _, relayed) = await AllocateAsync(tcp, "alice");
        using var _ = client;
        Assert.Equal(IPAddress.Loopback, relayed.Address); // not the machine's primary interface address
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TwoClientsOfThisRelayAreEachOthersPeersOnLoopbackWithTheDefaultPolicy(bool tcp)
    {
        var (a, aCredentials, aRelayed) = await AllocateAsync(tcp, "patient-1");
        var (b, bCredentials, bRelayed) = await AllocateAsync(tcp, "nurse-1");
        using var _ = a;
        using var __ = b;
        Assert.True((await a.RequestAsync(StunBuilder.CreatePermission(aCredentials, Addresses.Of(bRelayed)))).IsSuccess);
        Assert.True((await b.RequestAsync(StunBuilder.ChannelBind(bCredentials, 0x4000, Addresses.Of(aRelayed)))).IsSuccess);

        a.SendRaw(StunBuilder.SendIndication(Addresses.Of(bRelayed), [1, 2, 3]));
        var atB = b.NextData()!;
        Assert.Equal(0x4000, (atB[0] << 8) | atB[1]); // arrived on b's channel to a's relayed address
        Assert.Equal(new byte[] { 1, 2, 3 }, atB.AsSpan(4, 3).ToArray());

        b.SendRaw(StunBuilder.ChannelData(0x4000, [4, 5, 6], pad: tcp));
        var atA = StunResponse.Parse(a.NextData()!);
        Assert.Equal(StunMethod.Data, atA.Method);
        Assert.Equal(Addresses.Of(bRelayed), atA.XorPeerAddress);
        Assert.Equal(new byte[] { 4, 5, 6 }, atA.Data);
    }

    [Fact]
    public async Task APermissionForThisRelaysOwnAddressReachesNoOtherPortOnThatAddress()
    {
        var (a, aCredentials, _) = await AllocateAsync(false, "patient-1");
        var (b, _, bRelayed) = await AllocateAsync(false, "nurse-1");
        using var _ = a;
        using var __ = b;
        using var local = new TestPeer(); // some other service on 127.0.0.1
        Assert.Equal(403, (await a.RequestAsync(StunBuilder.CreatePermission(aCredentials, Addresses.Of(local.EndPoint)))).ErrorCode);

        // The permission for 127.0.0.1 granted through b's relayed address does not open 127.0.0.1:<other port>.
        Assert.True((await a.RequestAsync(StunBuilder.CreatePermission(aCredentials, Addresses.Of(bRelayed)))).IsSuccess);
        a.SendRaw(StunBuilder.SendIndication(Addresses.Of(local.EndPoint), [6, 6, 6]));
        Assert.Null(local.Receive(TimeSpan.FromMilliseconds(500)));
        Assert.Equal(403, (await a.RequestAsync(StunBuilder.ChannelBind(aCredentials, 0x4001, Addresses.Of(local.EndPoint)))).ErrorCode);

        // Once b's allocation is gone, its address is an ordinary refused loopback address again.
        var (c, cCredentials, _) = await AllocateAsync(false, "patient-2");
        using var ___ = c;
        _relay.Server.Delete(_relay.Server.Allocations.All.Single(x => x.RelayedAddress == Addresses.Of(bRelayed)));
        Assert.Equal(403, (await c.RequestAsync(StunBuilder.CreatePermission(cCredentials, Addresses.Of(bRelayed)))).ErrorCode);
    }
}
