using VideoVisit.Media.Stun;
using VideoVisit.Media.Stun.Attributes;
using VideoVisit.Media.Tests.Support;

namespace VideoVisit.Media.Tests.Turn;

public sealed class EvenPortTests : IDisposable
{
    private readonly RelayUnderTest _relay = RelayUnderTest.Start();

    public void Dispose() => _relay.Dispose();

    [Fact]
    public async Task EvenPortWithTheReserveBitGivesAnEvenPortAndATokenForTheNextOne()
    {
        using var rtp = TestClient.Udp(_relay.UdpEndPoint);
        var (user, pass) = _relay.Rest();
        var credentials = await rtp.ChallengeAsync(user, pass);
        var first = await rtp.RequestAsync(StunBuilder.Build(StunMethod.Allocate, StunClass.Request, (ref StunWriter w, ReadOnlySpan<byte> _) =>
        {
            RequestedTransportAttribute.Write(ref w, 17);
            EvenPortAttribute.Write(ref w, reserveNext: true);
        }, credentials));
        Assert.True(first.IsSuccess, "error " + first.ErrorCode);
        Assert.Equal(0, first.XorRelayedAddress!.Value.Port % 2);
        Assert.True(StunMessage.TryParse(first.Raw, out var m) && ReservationTokenAttribute.TryRead(m, out _));
        var token = ReadToken(first.Raw);

        using var rtcp = TestClient.Udp(_relay.UdpEndPoint);
        var challenge2 = await rtcp.RequestAsync(StunBuilder.Allocate(null));
        var credentials2 = credentials with { Nonce = challenge2.Nonce! };
        byte[] WithToken() => StunBuilder.Build(StunMethod.Allocate, StunClass.Request, (ref StunWriter w, ReadOnlySpan<byte> _) =>
        {
            RequestedTransportAttribute.Write(ref w, 17);
            ReservationTokenAttribute.Write(ref w, token);
        }, credentials2);
        var second = await rtcp.RequestAsync(WithToken());
        Assert.True(second.IsSuccess, "error " + second.ErrorCode);
        Assert.Equal(first.XorRelayedAddress!.Value.Port + 1, second.XorRelayedAddress!.Value.Port);

        using var third = TestClient.Udp(_relay.UdpEndPoint);
        var challenge3 = await third.RequestAsync(StunBuilder.Allocate(null));
        credentials2 = credentials with { Nonce = challenge3.Nonce! };
        Assert.Equal(508, (await third.RequestAsync(WithToken())).ErrorCode); // a token is good once
    }

    [Fact]
    public async Task EvenPortTogetherWithAReservationTokenGets400()
    {
        using var client = TestClient.Udp(_relay.UdpEndPoint);
        var (user, pass) = _relay.Rest();
        var credentials = await client.ChallengeAsync(user, pass);
        var r = await client.RequestAsync(StunBuilder.Build(StunMethod.Allocate, StunClass.Request, (ref StunWriter w, ReadOnlySpan<byte> _) =>
        {
            RequestedTransportAttribute.Write(ref w, 17);
            EvenPortAttribute.Write(ref w, reserveNext: false);
            ReservationTokenAttribute.Write(ref w, 42);
        }, credentials));
        Assert.Equal(400, r.ErrorCode);
    }

    [Fact]
    public async Task APortHeldForAReservationTokenCountsAgainstTheUsersQuotaUntilItLapses()
    {
        using var relay = RelayUnderTest.Start(o => o.MaxAllocationsPerUser = 3);
        var (user, pass) = relay.Rest("mallory");

        // Allocation + held neighbour: two of mallory's three slots.
        using var rtp = TestClient.Udp(relay.UdpEndPoint);
        var credentials = await rtp.ChallengeAsync(user, pass);
        var first = await rtp.RequestAsync(StunBuilder.Build(StunMethod.Allocate, StunClass.Request, (ref StunWriter w, ReadOnlySpan<byte> _) =>
        {
            RequestedTransportAttribute.Write(ref w, 17);
            EvenPortAttribute.Write(ref w, reserveNext: true);
        }, credentials));
        Assert.True(first.IsSuccess, "error " + first.ErrorCode);
        Assert.Equal(1, relay.Server.Allocations.ReservationCount);

        using var second = TestClient.Udp(relay.UdpEndPoint);
        Assert.True((await second.AllocateAsync(user, pass)).Response.IsSuccess);
        using var third = TestClient.Udp(relay.UdpEndPoint);
        Assert.Equal(486, (await third.AllocateAsync(user, pass)).Response.ErrorCode);

        // Another user is not affected.
        var (bob, bobPass) = relay.Rest("bob");
        using var bobs = TestClient.Udp(relay.UdpEndPoint);
        Assert.True((await bobs.AllocateAsync(bob, bobPass)).Response.IsSuccess);

        // The held port lapses after 30 s: its slot is mallory's again.
        relay.Time.Advance(TimeSpan.FromSeconds(31));
        relay.Server.Sweep();
        Assert.Equal(0, relay.Server.Allocations.ReservationCount);
        using var fourth = TestClient.Udp(relay.UdpEndPoint);
        Assert.True((await fourth.AllocateAsync(user, pass)).Response.IsSuccess);
    }

    [Fact]
    public async Task TakingAHeldPortMovesItsSlotToTheNewAllocationInsteadOfTakingAnother()
    {
        using var relay = RelayUnderTest.Start(o => o.MaxAllocationsPerUser = 2);
        var (user, pass) = relay.Rest("carol");
        using var rtp = TestClient.Udp(relay.UdpEndPoint);
        var credentials = await rtp.ChallengeAsync(user, pass);
        var first = await rtp.RequestAsync(StunBuilder.Build(StunMethod.Allocate, StunClass.Request, (ref StunWriter w, ReadOnlySpan<byte> _) =>
        {
            RequestedTransportAttribute.Write(ref w, 17);
            EvenPortAttribute.Write(ref w, reserveNext: true);
        }, credentials));
        Assert.True(first.IsSuccess, "error " + first.ErrorCode);
        var token = ReadToken(first.Raw);

        using var rtcp = TestClient.Udp(relay.UdpEndPoint);
        var rtcpCredentials = await rtcp.ChallengeAsync(user, pass);
        var second = await rtcp.RequestAsync(StunBuilder.Build(StunMethod.Allocate, StunClass.Request, (ref StunWriter w, ReadOnlySpan<byte> _) =>
        {
            RequestedTransportAttribute.Write(ref w, 17);
            ReservationTokenAttribute.Write(ref w, token);
        }, rtcpCredentials));
        Assert.True(second.IsSuccess, "error " + second.ErrorCode); // at the quota of 2, yet the held slot carried over
        Assert.Equal(first.XorRelayedAddress!.Value.Port + 1, second.XorRelayedAddress!.Value.Port);
        Assert.Equal(0, relay.Server.Allocations.ReservationCount);

        using var third = TestClient.Udp(relay.UdpEndPoint);
        Assert.Equal(486, (await third.AllocateAsync(user, pass)).Response.ErrorCode);
    }

    [Fact]
    public async Task ReservationTokensAreDistinctAndFarApart()
    {
        using var relay = RelayUnderTest.Start(o => o.MaxAllocationsPerUser = 100);
        var tokens = new List<ulong>();
        for (var i = 0; i < 8; i++)
        {
            using var client = TestClient.Udp(relay.UdpEndPoint);
            var (user, pass) = relay.Rest("user" + i);
            var credentials = await client.ChallengeAsync(user, pass);
            var r = await client.RequestAsync(StunBuilder.Build(StunMethod.Allocate, StunClass.Request, (ref StunWriter w, ReadOnlySpan<byte> _) =>
            {
                RequestedTransportAttribute.Write(ref w, 17);
                EvenPortAttribute.Write(ref w, reserveNext: true);
            }, credentials));
            Assert.True(r.IsSuccess, "error " + r.ErrorCode);
            tokens.Add(ReadToken(r.Raw));
        }

        // 64 random bits each (RandomNumberGenerator): distinct, and no two close to each other.
        Assert.Equal(tokens.Count, tokens.Distinct().Count());
        Assert.All(tokens.Zip(tokens.Skip(1)), pair => Assert.True(System.Numerics.BitOperations.PopCount(pair.First ^ pair.Second) > 8));
    }

    private static ulong ReadToken(byte[] raw)
    {
        ulong token = 0;
        Assert.True(StunMessage.TryParse(raw, out var m) && ReservationTokenAttribute.TryRead(m, out token));
        return token;
    }
}
