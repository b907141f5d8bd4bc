using System.Net;
using System.Text;
using VideoVisit.Media.Stun;
using VideoVisit.Media.Stun.Attributes;
using VideoVisit.Media.Tests.Support;
using VideoVisit.Media.Turn;

namespace VideoVisit.Media.Tests.Stun;

public sealed class Rfc5769VectorTests
{
    private static readonly byte[] ShortTermKey = Encoding.UTF8.GetBytes("VOkJxbRl1RmTxUk/WvJxBt");

    [Fact]
    public void SampleRequestParsesWithValidIntegrityAndFingerprint()
    {
        var raw = TestData.Hex("rfc5769/sample-request.hex");
        Assert.True(StunMessage.TryParse(raw, out var m));
        Assert.Equal(StunMethod.Binding, m.Method);
        Assert.Equal(StunClass.Request, m.Class);
        Assert.True(UsernameAttribute.TryReadString(m, out var username));
        Assert.Equal("evtj:h6vY", username);
        Assert.True(SoftwareAttribute.TryReadString(m, out var software));
        Assert.Equal("STUN test client", software);
        Assert.True(MessageIntegrityAttribute.IsValid(m, ShortTermKey));
        Assert.True(FingerprintAttribute.IsValid(m));
    }

    [Fact]
    public void SampleIPv4ResponseCarriesTheMappedAddress()
    {
        var raw = TestData.Hex("rfc5769/sample-ipv4-response.hex");
        Assert.True(StunMessage.TryParse(raw, out var m));
        Assert.Equal(StunClass.SuccessResponse, m.Class);
        Assert.True(XorMappedAddressAttribute.TryRead(m, out var mapped));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 32853), mapped.ToIPEndPoint());
        Assert.True(MessageIntegrityAttribute.IsValid(m, ShortTermKey));
        Assert.True(FingerprintAttribute.IsValid(m));
    }

    [Fact]
    public void SampleIPv6ResponseCarriesTheMappedAddress()
    {
        var raw = TestData.Hex("rfc5769/sample-ipv6-response.hex");
        Assert.True(StunMessage.TryParse(raw, out var m));
        Assert.True(XorMappedAddressAttribute.TryRead(m, out var mapped));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("2001:db8:1234:5678:11:2233:4455:6677"), 32853), mapped.ToIPEndPoint());
        Assert.True(MessageIntegrityAttribute.IsValid(m, ShortTermKey));
        Assert.True(FingerprintAttribute.IsValid(m));
    }

    [Fact]
    public void SampleLongTermRequestVerifiesWithTheMd5Key()
    {
        var raw = TestData.Hex("rfc5769/sample-request-long-term.hex");
        Assert.True(StunMessage.TryParse(raw, out var m));
        Assert.True(UsernameAttribute.TryReadString(m, out var username));
        Assert.Equal("\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9", username);
        Assert.True(NonceAttribute.TryReadString(m, out var nonce));
        Assert.Equal("f//499k954d6OL34oL9FSTvy64sA", nonce);
        Assert.True(RealmAttribute.TryReadString(m, out var realm));
        Assert.Equal("example.org", realm);
        var key = LongTermAuthenticator.DeriveKey(username, realm, "TheMatrIX", sha256: false);
        Assert.True(MessageIntegrityAttribute.IsValid(m, key));
        Assert.False(MessageIntegrityAttribute.IsValid(m, LongTermAuthenticator.DeriveKey(username, realm, "wrong", sha256: false)));
    }

    [Fact]
    public void TamperingWithAnyByteOfTheSampleRequestBreaksIntegrityOrFingerprint()
    {
        var raw = TestData.Hex("rfc5769/sample-request.hex");
        for (var i = 20; i < raw.Length; i++)
        {
            var copy = (byte[])raw.Clone();
            copy[i] ^= 0x01;
            if (StunMessage.TryParse(copy, out var m))
            {
                Assert.False(MessageIntegrityAttribute.IsValid(m, ShortTermKey) && FingerprintAttribute.IsValid(m), $"byte {i}");
            }
        }
    }
}
