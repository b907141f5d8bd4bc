using System.Net;
using VideoVisit.Media.Stun;
using VideoVisit.Media.Tests.Support;
using VideoVisit.Media.Turn;

namespace VideoVisit.Media.Tests.Turn;

public sealed class SecurityTests : IDisposable
{
    private readonly RelayUnderTest _relay = RelayUnderTest.Start(o => o.MaxAllocationsPerUser = 2);

    public void Dispose() => _relay.Dispose();

    private async Task<(TestClient Client, ClientCredentials Credentials)> AllocateAsync(string user = "alice")
    {
        var client = TestClient.Udp(_relay.UdpEndPoint);
        var (u, p) = _relay.Rest(user);
        var (credentials, r) = await client.AllocateAsync(u, p);
        Assert.True(r.IsSuccess, "allocate failed with " + r.ErrorCode);
        return (client, credentials);
    }

    public static TheoryData<string> DeniedPeers =>
    [
        "127.0.0.1", "127.255.255.254", "0.0.0.0", "0.1.2.3", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
        "100.64.0.1", "100.127.255.254", "169.254.169.254", "169.254.0.1", "224.0.0.1", "239.255.255.250",
        "255.255.255.255", "240.0.0.1", "192.0.0.8", "198.18.0.1",
        "::", "::1", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "fec0::1",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:192.168.0.1",
        "::127.0.0.1", "::10.0.0.1", "::169.254.169.254",
        "2002:7f00:0001::1", "2002:a9fe:a9fe::", "2002:c0a8:0101::5",
        "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::a00:1", "64:ff9b:1::1",
        "2001:0:4136:e378:8000:63bf:80ff:fffe", // Teredo whose client address is 127.0.0.1
    ];

    [Theory]
    [MemberData(nameof(DeniedPeers))]
    public async Task EachDeniedPeerFormGets403FromCreatePermission(string peer)
    {
        var (client, credentials) = await AllocateAsync();
        using var _ = client;
        var r = await client.RequestAsync(StunBuilder.CreatePermission(credentials, Addresses.Of(peer, 5000)));
        Assert.Equal(403, r.ErrorCode);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("64:ff9b::a9fe:a9fe")]
    [InlineData("2002:c0a8:0101::5")]
    public async Task EachDeniedPeerFormGets403FromChannelBind(string peer)
    {
        var (client, credentials) = await AllocateAsync();
        using var _ = client;
        var r = await client.RequestAsync(StunBuilder.ChannelBind(credentials, 0x4000, Addresses.Of(peer, 5000)));
        Assert.Equal(403, r.ErrorCode);
    }

    [Fact]
    public async Task OneDeniedPeerAmongAllowedOnesFailsTheWholeCreatePermission()
    {
        var (client, credentials) = await AllocateAsync();
        using var _ = client;
        var r = await client.RequestAsync(StunBuilder.CreatePermission(credentials, Addresses.Of("8.8.8.8", 1), Addresses.Of("10.0.0.1", 1)));
        Assert.Equal(403, r.ErrorCode);
        Assert.Equal(0, _relay.Server.Allocations.All.Single().PermissionCount);
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("1.1.1.1")]
    [InlineData("203.0.114.1")]
    public async Task PublicPeersAreAllowed(string peer)
    {
        var (client, credentials) = await AllocateAsync();
        using var _ = client;
        Assert.True((await client.RequestAsync(StunBuilder.CreatePermission(credentials, Addresses.Of(peer, 5000)))).IsSuccess);
    }

    [Fact]
    public async Task APublicIPv6PeerOfAnIPv4RelayGets443()
    {
        var (client, credentials) = await AllocateAsync();
        using var _ = client;
        Assert.Equal(443, (await client.RequestAsync(StunBuilder.CreatePermission(credentials, Addresses.Of("2606:4700::1111", 53)))).ErrorCode);
    }

    [Fact]
    public void AllowedPeersOverridesTheDenyListOnlyForItsRanges()
    {
        var policy = new PeerAddressPolicy(["127.0.0.0/8", "fd00::/8"]);
        Assert.True(policy.IsAllowed(Addresses.Of("127.0.0.1", 1)));
        Assert.True(policy.IsAllowed(Addresses.Of("::ffff:127.0.0.1", 1)));
        Assert.True(policy.IsAllowed(Addresses.Of("fd00::5", 1)));
        Assert.False(policy.IsAllowed(Addresses.Of("10.0.0.1", 1)));
        Assert.False(policy.IsAllowed(Addresses.Of("169.254.169.254", 1)));
    }

    [Fact]
    public async Task ThePerUserQuotaGives486()
    {
        var (a, _) = await AllocateAsync("bob");
        var (b, _) = await AllocateAsync("bob");
        using var third = TestClient.Udp(_relay.UdpEndPoint);
        var (u, p) = _relay.Rest("bob");
        var (_, r) = await third.AllocateAsync(u, p);
        Assert.Equal(486, r.ErrorCode);

        // Another user is unaffected, and freeing one of bob's lets bob allocate again.
        var (c, _) = await AllocateAsync("carol");
        a.Dispose();
        _relay.Server.Delete(_relay.Server.Allocations.All.First(x => x.UserId == "bob"));
        var (again, _) = await AllocateAsync("bob");
        b.Dispose();
        c.Dispose();
        again.Dispose();
    }

    [Fact]
    public async Task TheTotalQuotaGives486()
    {
        using var relay = RelayUnderTest.Start(o => o.MaxAllocations = 1);
        using var first = TestClient.Udp(relay.UdpEndPoint);
        using var second = TestClient.Udp(relay.UdpEndPoint);
        var (u1, p1) = relay.Rest("one");
        var (u2, p2) = relay.Rest("two");
        Assert.True((await first.AllocateAsync(u1, p1)).Response.IsSuccess);
        Assert.Equal(486, (await second.AllocateAsync(u2, p2)).Response.ErrorCode);
    }

    [Fact]
    public async Task AnAllocationCannotBeRefreshedUsedOrDeletedFromAnother5Tuple()
    {
        var (owner, credentials) = await AllocateAsync();
        using var _ = owner;
        using var intruder = TestClient.Udp(_relay.UdpEndPoint);
        var challenge = await intruder.RequestAsync(StunBuilder.Allocate(null));
        // Same user and password, a fresh nonce for the intruder's address, a different 5-tuple.
        var stolen = credentials with { Nonce = challenge.Nonce! };

        Assert.Equal(437, (await intruder.RequestAsync(StunBuilder.Refresh(stolen, 600))).ErrorCode);
        Assert.Equal(437, (await intruder.RequestAsync(StunBuilder.Refresh(stolen, 0))).ErrorCode);
        Assert.Equal(437, (await intruder.RequestAsync(StunBuilder.CreatePermission(stolen, Addresses.Of("8.8.8.8", 1)))).ErrorCode);
        Assert.Equal(437, (await intruder.RequestAsync(StunBuilder.ChannelBind(stolen, 0x4000, Addresses.Of("8.8.8.8", 1)))).ErrorCode);
        intruder.SendRaw(StunBuilder.SendIndication(Addresses.Of("8.8.8.8", 1), [1]));
        intruder.SendRaw(StunBuilder.ChannelData(0x4000, [1], pad: false));

        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (_relay.Counters.Dropped(TurnDropReason.NoAllocation) < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(2, _relay.Counters.Dropped(TurnDropReason.NoAllocation));
        Assert.Equal(1, _relay.Server.Allocations.Count);
        Assert.True((await owner.RequestAsync(StunBuilder.Refresh(credentials, 600))).IsSuccess);
    }

    [Fact]
    public async Task AnotherUsersCredentialsOnTheOwners5TupleGet441()
    {
        var (owner, credentials) = await AllocateAsync("alice");
        using var _ = owner;
        var (u, p) = _relay.Rest("mallory");
        var mallory = credentials with { Username = u, Password = p };
        Assert.Equal(441, (await owner.RequestAsync(StunBuilder.Refresh(mallory, 0))).ErrorCode);
        Assert.Equal(441, (await owner.RequestAsync(StunBuilder.CreatePermission(mallory, Addresses.Of("8.8.8.8", 1)))).ErrorCode);
        Assert.Equal(1, _relay.Server.Allocations.Count);
    }

    [Fact]
    public async Task UnauthenticatedRequestsNeverGetMoreThanAFewTimesTheirSizeBack()
    {
        using var client = TestClient.Udp(_relay.UdpEndPoint);
        var request = StunBuilder.Allocate(null);
        var r = await client.RequestAsync(request);
        Assert.Equal(401, r.ErrorCode);
        Assert.True(r.Raw.Length <= 4 * request.Length, $"{r.Raw.Length} bytes answered {request.Length}");
    }
}
