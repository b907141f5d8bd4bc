using VideoVisit.Media.Stun;
using VideoVisit.Media.Tests.Support;

namespace VideoVisit.Media.Tests.Turn;

public sealed class AuthenticationTests : IDisposable
{
    private readonly RelayUnderTest _relay = RelayUnderTest.Start();

    public void Dispose() => _relay.Dispose();

    [Fact]
    public async Task AllocateWithoutCredentialsGets401WithRealmNonceAndPasswordAlgorithms()
    {
        using var client = TestClient.Udp(_relay.UdpEndPoint);
        var r = await client.RequestAsync(StunBuilder.Allocate(null));
        Assert.Equal(401, r.ErrorCode);
        Assert.Equal("videovisit", r.Realm);
        Assert.StartsWith("obMatJos2", r.Nonce, StringComparison.Ordinal);
        Assert.True(r.HasPasswordAlgorithms);
        Assert.False(r.HasMessageIntegrity);
        Assert.True(r.FingerprintValid);
    }

    [Fact]
    public async Task AllocateWithRestCredentialsSucceedsAndTheResponseIsSigned()
    {
        using var client = TestClient.Udp(_relay.UdpEndPoint);
        var (user, pass) = _relay.Rest();
        var (credentials, r) = await client.AllocateAsync(user, pass);
        Assert.True(r.IsSuccess, "error " + r.ErrorCode);
        Assert.NotNull(r.XorRelayedAddress);
        Assert.Equal(Addresses.Of(client.LocalEndPoint), r.XorMappedAddress);
        Assert.Equal(600u, r.Lifetime);
        Assert.True(r.IntegrityValidWith(credentials.Key));
        Assert.True(r.FingerprintValid);
    }

    [Fact]
    public async Task AllocateWithMessageIntegritySha256GetsASha256SignedResponse()
    {
        using var client = TestClient.Udp(_relay.UdpEndPoint);
        var (user, pass) = _relay.Rest();
        var (credentials, r) = await client.AllocateAsync(user, pass, sha256: true);
        Assert.True(r.IsSuccess, "error " + r.ErrorCode);
        Assert.True(r.HasMessageIntegritySha256);
        Assert.False(r.HasMessageIntegrity);
        Assert.True(r.IntegrityValidWith(credentials.Key));
    }

    [Fact]
    public async Task AllocateWithAWrongPasswordGets401()
    {
        using var client = TestClient.Udp(_relay.UdpEndPoint);
        var (user, _) = _relay.Rest();
        var (_, r) = await client.AllocateAsync(user, "not-the-password");
        Assert.Equal(401, r.ErrorCode);
    }

    [Fact]
    public async Task AllocateWithCredentialsSignedByAnotherSecretGets401()
    {
        using var client = TestClient.Udp(_relay.UdpEndPoint);
        var (user, pass) = TurnRestCredentials.Issue("another-secret", "mallory", _relay.Time.GetUtcNow().AddHours(1));
        var (_, r) = await client.AllocateAsync(user, pass);
        Assert.Equal(401, r.ErrorCode);
    }

    [Fact]
    public async Task AllocateWithExpiredRestCredentialsGets401()
    {
        using var client = TestClient.Udp(_relay.UdpEndPoint);
        var (user, pass) = _relay.Rest(validFor: TimeSpan.FromSeconds(-1));
        var (_, r) = await client.AllocateAsync(user, pass);
        Assert.Equal(401, r.ErrorCode);
    }

    [Fact]
    public async Task AUsernameWithoutAnExpiryGets401()
    {
        using var client = TestClient.Udp(_relay.UdpEndPoint);
        var username = "alice";
        var (_, r) = await client.AllocateAsync(username, TurnRestCredentials.PasswordFor(RelayUnderTest.Secret, username));
        Assert.Equal(401, r.ErrorCode);
    }

    [Fact]
    public async Task ANonceOlderThanItsLifetimeGets438WithAFreshNonce()
    {
        using var client = TestClient.Udp(_relay.UdpEndPoint);
        var challenge = await client.RequestAsync(StunBuilder.Allocate(null));
        _relay.Time.Advance(TimeSpan.FromSeconds(601));
        var (user, pass) = _relay.Rest();
        var r = await client.RequestAsync(StunBuilder.Allocate(new ClientCredentials(user, pass, challenge.Realm!, challenge.Nonce!)));
        Assert.Equal(438, r.ErrorCode);
        Assert.NotEqual(challenge.Nonce, r.Nonce);
        Assert.Equal("videovisit", r.Realm);

        var retry = await client.RequestAsync(StunBuilder.Allocate(new ClientCredentials(user, pass, r.Realm!, r.Nonce!)));
        Assert.True(retry.IsSuccess);
    }

    [Fact]
    public async Task AForgedNonceGets438()
    {
        using var client = TestClient.Udp(_relay.UdpEndPoint);
        var (user, pass) = _relay.Rest();
        var r = await client.RequestAsync(StunBuilder.Allocate(new ClientCredentials(user, pass, "videovisit", "obMatJos2gAAA69420000.000000000000000000000000")));
        Assert.Equal(438, r.ErrorCode);
    }

    [Fact]
    public async Task IntegrityWithoutUsernameRealmOrNonceGets400()
    {
        using var client = TestClient.Udp(_relay.UdpEndPoint);
        var request = StunBuilder.Build(StunMethod.Allocate, StunClass.Request, (ref StunWriter w, ReadOnlySpan<byte> _) =>
        {
            VideoVisit.Media.Stun.Attributes.RequestedTransportAttribute.Write(ref w, 17);
            w.WriteMessageIntegrity([1, 2, 3]);
        });
        var r = await client.RequestAsync(request);
        Assert.Equal(400, r.ErrorCode);
    }

    [Fact]
    public async Task BindingNeedsNoCredentialsAndReturnsTheReflexiveAddress()
    {
        using var client = TestClient.Udp(_relay.UdpEndPoint);
        var r = await client.RequestAsync(StunBuilder.Build(StunMethod.Binding, StunClass.Request));
        Assert.True(r.IsSuccess);
        Assert.Equal(Addresses.Of(client.LocalEndPoint), r.XorMappedAddress);
        Assert.True(r.FingerprintValid);
    }

    [Fact]
    public async Task AnUnknownComprehensionRequiredAttributeGets420ListingIt()
    {
        using var client = TestClient.Udp(_relay.UdpEndPoint);
        var r = await client.RequestAsync(StunBuilder.Build(StunMethod.Binding, StunClass.Request, (ref StunWriter w, ReadOnlySpan<byte> _) =>
        {
            w.Write(0x001E, new byte[32]); // USERHASH: username anonymity is not implemented here
            w.Write(0xC001, [1, 2, 3, 4]); // comprehension-optional: ignored
        }));
        Assert.Equal(420, r.ErrorCode);
        Assert.Equal(new ushort[] { 0x001E }, r.UnknownAttributes);
    }

    [Fact]
    public async Task AnUnknownMethodGets400()
    {
        using var client = TestClient.Udp(_relay.UdpEndPoint);
        var r = await client.RequestAsync(StunBuilder.Build(0x00A, StunClass.Request));
        Assert.Equal(400, r.ErrorCode);
    }

    [Fact]
    public async Task RepliesToUnauthenticatedRequestsAreRateLimitedPerSource()
    {
        using var relay = RelayUnderTest.Start(o => o.UnauthenticatedRepliesPerSecond = 5);
        using var client = TestClient.Udp(relay.UdpEndPoint);
        var answered = 0;
        for (var i = 0; i < 30; i++)
        {
            if (!await client.NoResponseAsync(StunBuilder.Allocate(null), TimeSpan.FromMilliseconds(100)))
            {
                answered++;
            }
        }

        Assert.InRange(answered, 1, 10); // burst of 2 s worth at 5/s; the clock does not move
        Assert.True(relay.Counters.Dropped(VideoVisit.Media.Turn.TurnDropReason.RateLimited) >= 20);
    }
}
