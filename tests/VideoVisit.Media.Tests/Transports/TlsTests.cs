using System.Buffers.Binary;
using System.Security.Authentication;
using VideoVisit.Media.Tests.Support;

namespace VideoVisit.Media.Tests.Transports;

/// <summary>TURN over TLS (turns:, RFC 8656 over TLS; ALPN stun.turn, RFC 7443) on the relay's own TLS listener.</summary>
public sealed class TlsTests : IDisposable
{
    private readonly TestCertificate _certificate = TestCertificate.Create();
    private readonly RelayUnderTest _relay;

    public TlsTests() => _relay = RelayUnderTest.Start(o => o.AllowedPeers.Add("127.0.0.0/8"), tls: _certificate);

    public void Dispose()
    {
        _relay.Dispose();
        _certificate.Dispose();
    }

    [Theory]
    [InlineData("stun.turn")]
    [InlineData(null)]
    public async Task ChannelDataFlowsBothWaysOverTls(string? alpn)
    {
        using var client = await TestClient.TlsAsync(_relay.TlsEndPoint, _certificate.Authority, alpn);
        Assert.Equal(alpn ?? "", client.NegotiatedProtocol);
        var (u, p) = _relay.Rest();
        var (credentials, allocated) = await client.AllocateAsync(u, p);
        Assert.True(allocated.IsSuccess, "error " + allocated.ErrorCode);
        var relayed = allocated.XorRelayedAddress!.Value.ToIPEndPoint();
        using var peer = new TestPeer();
        Assert.True((await client.RequestAsync(StunBuilder.ChannelBind(credentials, 0x4001, Addresses.Of(peer.EndPoint)))).IsSuccess);

        client.SendRaw(StunBuilder.ChannelData(0x4001, [1, 2, 3, 4, 5], pad: true));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, peer.Receive()!.Value.Data);

        peer.SendTo(relayed, [7, 7, 7]);
        var channelData = client.NextData()!;
        Assert.Equal(0x4001, BinaryPrimitives.ReadUInt16BigEndian(channelData));
        Assert.Equal(new byte[] { 7, 7, 7 }, channelData.AsSpan(4, 3).ToArray());
        Assert.Equal(8, channelData.Length); // padded as over TCP
        Assert.Equal(1, _relay.Server.Streams.TlsServed);
    }

    [Fact]
    public async Task AClientThatDoesNotTrustTheCertificateIsRefusedAtTheHandshake()
    {
        using var stranger = TestCertificate.Create("Some other CA");
        await Assert.ThrowsAsync<AuthenticationException>(() => TestClient.TlsAsync(_relay.TlsEndPoint, stranger.Authority));
    }

    [Fact]
    public async Task ACertificateSwappedOnDiskIsServedToTheNextHandshake()
    {
        using var before = await TestClient.TlsAsync(_relay.TlsEndPoint, _certificate.Authority);
        var first = before.ServerCertificate!.Thumbprint;
        Assert.Equal(_certificate.Server.Thumbprint, first);

        var renewed = _certificate.Renew();
        using var after = await TestClient.TlsAsync(_relay.TlsEndPoint, _certificate.Authority);
        Assert.Equal(renewed.Thumbprint, after.ServerCertificate!.Thumbprint);
        Assert.NotEqual(first, after.ServerCertificate.Thumbprint);

        // The connection made before the swap carries on.
        var (u, p) = _relay.Rest();
        Assert.True((await before.AllocateAsync(u, p)).Response.IsSuccess);
    }
}
