using VideoVisit.Media.Stun;
using VideoVisit.Media.Stun.Attributes;
using VideoVisit.Media.Tests.Support;
using VideoVisit.Media.Turn;

namespace VideoVisit.Media.Tests.Stun;

/// <summary>
/// STUN/TURN messages Chromium sent our relay (captured once by ChromiumRelayTests with
/// VIDEOVISIT_CAPTURE_DIR, kept under TestData/chromium), parsed and checked with the codec.
/// </summary>
public sealed class ChromiumCaptureTests
{
    public static TheoryData<string> Files => ["chromium/chromium-turn-udp.hex", "chromium/chromium-turn-tcp.hex"];

    [Theory]
    [MemberData(nameof(Files))]
    public void EveryCapturedMessageParsesWithAValidFingerprintWhereItHasOne(string file)
    {
        var messages = TestData.Capture(file).ToList();
        Assert.NotEmpty(messages);
        foreach (var (kind, bytes) in messages)
        {
            Assert.True(StunMessage.TryParse(bytes, out var m), kind);
            Assert.Equal(kind, $"{m.Class}-{m.Method}");
            Assert.True(FingerprintAttribute.IsAbsentOrValid(m), kind);
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void ChromiumsAuthenticatedRequestsVerifyWithTheRestCredentialKey(string file)
    {
        var verified = 0;
        foreach (var (kind, bytes) in TestData.Capture(file))
        {
            Assert.True(StunMessage.TryParse(bytes, out var m));
            if (m.MessageIntegrityOffset < 0)
            {
                continue;
            }

            Assert.True(UsernameAttribute.TryReadString(m, out var username), kind);
            Assert.True(TurnRestCredentials.TryGetExpiry(username, out _), kind);
            Assert.True(RealmAttribute.TryReadString(m, out var realm) && realm == "videovisit", kind);
            Assert.True(NonceAttribute.TryReadString(m, out var nonce) && nonce.StartsWith("obMatJos2", StringComparison.Ordinal), kind);
            var key = LongTermAuthenticator.DeriveKey(username, realm, TurnRestCredentials.PasswordFor(RelayUnderTest.Secret, username), sha256: false);
            Assert.True(MessageIntegrityAttribute.IsValid(m, key), kind);
            verified++;
        }

        Assert.True(verified >= 4, "expected authenticated Allocate, CreatePermission and ChannelBind requests");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void ChromiumsAllocateAsksForUdpAndItsSendIndicationsCarryIceChecks(string file)
    {
        var allocates = 0;
        var sends = 0;
        foreach (var (_, bytes) in TestData.Capture(file))
        {
            Assert.True(StunMessage.TryParse(bytes, out var m));
            if (m.Method == StunMethod.Allocate)
            {
                Assert.True(RequestedTransportAttribute.TryRead(m, out var protocol) && protocol == RequestedTransportAttribute.Udp);
                allocates++;
            }
            else if (m.Method == StunMethod.Send)
            {
                Assert.True(XorPeerAddressAttribute.TryRead(m, out _));
                Assert.True(DataAttribute.TryRead(m, out var data));
                // ICE connectivity checks (STUN Binding) and the DTLS handshake travel this way before a channel is bound.
                if (StunMessage.TryParse(data, out var inner))
                {
                    Assert.Equal(StunMethod.Binding, inner.Method);
                    sends++;
                }
            }
        }

        Assert.True(allocates > 0 && sends > 0);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void ReplayedToAFreshRelayTheCaptureGetsChallengedAndNothingEscapes(string file)
    {
        var log = new CountingLogger();
        var options = new TurnOptions { ListenAddress = "127.0.0.1", SharedSecret = RelayUnderTest.Secret };
        using var server = new TurnServer(options, () => RelayUnderTest.Secret, TimeProvider.System, log);
        var sink = new RecordingSink();
        var tuple = new FiveTuple(ClientTransport.Udp, Addresses.Of("127.0.0.1", 50000), Addresses.Of("127.0.0.1", 3478));
        foreach (var (_, bytes) in TestData.Capture(file))
        {
            server.HandleClientPacket(bytes, tuple, sink);
        }

        Assert.Equal(0, log.Errors);
        var codes = sink.Replies.Select(StunResponse.Parse).Where(r => r.ErrorCode != 0).Select(r => r.ErrorCode).ToHashSet();
        Assert.Contains(401, codes); // the unauthenticated first Allocate
        Assert.Contains(438, codes); // the captured nonces came from another process's key
        Assert.Equal(0, server.Allocations.Count);
    }

    private sealed class RecordingSink : VideoVisit.Media.Transports.IClientSink
    {
        public List<byte[]> Replies { get; } = [];

        public bool IsStream => false;

        public void Send(ReadOnlySpan<byte> packet) => Replies.Add(packet.ToArray());

        public VideoVisit.Media.Transports.IClientSink Persist() => this;
    }
}
