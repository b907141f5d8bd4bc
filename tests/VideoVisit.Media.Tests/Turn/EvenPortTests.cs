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

    private static ulong ReadToken(byte[] raw)
    {
        ulong token = 0;
        Assert.True(StunMessage.TryParse(raw, out var m) && ReservationTokenAttribute.TryRead(m, out token));
        return token;
    }
}
