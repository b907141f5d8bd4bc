using System.Net;
using VideoVisit.Media.Stun;
using VideoVisit.Media.Stun.Attributes;
using VideoVisit.Media.Tests.Support;

namespace VideoVisit.Media.Tests.Stun;

public sealed class AttributeRoundTripTests
{
    private static readonly byte[] Tid = Convert.FromHexString("0102030405060708090A0B0C");

    private static StunResponse RoundTrip(StunBuilder.Attributes write)
    {
        var raw = StunBuilder.Build(StunMethod.Allocate, StunClass.SuccessResponse, write, transactionId: Tid);
        Assert.True(StunMessage.TryParse(raw, out var m));
        Assert.True(FingerprintAttribute.IsValid(m));
        Assert.Equal(Tid, m.TransactionId.ToArray());
        return StunResponse.Parse(raw);
    }

    private static bool Read(byte[] raw, Func<StunMessageReader, bool> read) => read(new StunMessageReader(raw));

    [Theory]
    [InlineData("192.0.2.1", 32853)]
    [InlineData("2001:db8:1234:5678:11:2233:4455:6677", 32853)]
    [InlineData("0.0.0.0", 0)]
    [InlineData("255.255.255.255", 65535)]
    public void XorMappedAddressRoundTrips(string ip, int port)
    {
        var address = Addresses.Of(ip, port);
        var r = RoundTrip((ref StunWriter w, ReadOnlySpan<byte> tid) => XorMappedAddressAttribute.Write(ref w, address, tid));
        Assert.Equal(address, r.XorMappedAddress);
    }

    [Theory]
    [InlineData("203.0.113.7", 50000)]
    [InlineData("2001:db8::1", 3478)]
    public void XorPeerAddressRoundTrips(string ip, int port)
    {
        var address = Addresses.Of(ip, port);
        var r = RoundTrip((ref StunWriter w, ReadOnlySpan<byte> tid) => XorPeerAddressAttribute.Write(ref w, address, tid));
        Assert.Equal(address, r.XorPeerAddress);
    }

    [Fact]
    public void XorRelayedAddressRoundTrips()
    {
        var address = Addresses.Of("198.51.100.20", 49152);
        var r = RoundTrip((ref StunWriter w, ReadOnlySpan<byte> tid) => XorRelayedAddressAttribute.Write(ref w, address, tid));
        Assert.Equal(address, r.XorRelayedAddress);
    }

    [Fact]
    public void MappedAddressRoundTripsInTheClear()
    {
        var address = Addresses.Of("192.0.2.33", 1234);
        var raw = StunBuilder.Build(StunMethod.Binding, StunClass.SuccessResponse, (ref StunWriter w, ReadOnlySpan<byte> tid) => MappedAddressAttribute.Write(ref w, address, tid), transactionId: Tid);
        Assert.True(Read(raw, m => m.MappedAddress == address));
        Assert.Equal(new byte[] { 0, 1, 0x04, 0xD2, 192, 0, 2, 33 }, raw.AsSpan(24, 8).ToArray());
    }

    [Theory]
    [InlineData(400, "Bad Request")]
    [InlineData(438, "Stale Nonce")]
    [InlineData(508, "Insufficient Capacity")]
    [InlineData(599, "")]
    public void ErrorCodeRoundTrips(int code, string reason)
    {
        var raw = StunBuilder.Build(StunMethod.Allocate, StunClass.ErrorResponse, (ref StunWriter w, ReadOnlySpan<byte> _) => ErrorCodeAttribute.Write(ref w, code, reason), transactionId: Tid);
        Assert.True(StunMessage.TryParse(raw, out var m));
        Assert.True(ErrorCodeAttribute.TryRead(m, out var readCode, out var readReason));
        Assert.Equal(code, readCode);
        Assert.Equal(reason, readReason);
    }

    [Theory]
    [InlineData("1767225600:patient-1")]
    [InlineData("\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9")]
    [InlineData("a")]
    public void TextAttributesRoundTripWithPadding(string text)
    {
        var raw = StunBuilder.Build(StunMethod.Allocate, StunClass.Request, (ref StunWriter w, ReadOnlySpan<byte> _) =>
        {
            UsernameAttribute.Write(ref w, text);
            RealmAttribute.Write(ref w, text);
            NonceAttribute.Write(ref w, text);
            SoftwareAttribute.Write(ref w, text);
        }, transactionId: Tid);
        Assert.True(StunMessage.TryParse(raw, out var m));
        Assert.True(UsernameAttribute.TryReadString(m, out var u) && u == text);
        Assert.True(RealmAttribute.TryReadString(m, out var r) && r == text);
        Assert.True(NonceAttribute.TryReadString(m, out var n) && n == text);
        Assert.True(SoftwareAttribute.TryReadString(m, out var s) && s == text);
        Assert.Equal(0, raw.Length % 4);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(600u)]
    [InlineData(uint.MaxValue)]
    public void LifetimeRoundTrips(uint seconds)
    {
        var r = RoundTrip((ref StunWriter w, ReadOnlySpan<byte> _) => LifetimeAttribute.Write(ref w, seconds));
        Assert.Equal(seconds, r.Lifetime);
    }

    [Fact]
    public void ChannelNumberRequestedTransportDontFragmentAndAddressFamilyRoundTrip()
    {
        var raw = StunBuilder.Build(StunMethod.ChannelBind, StunClass.Request, (ref StunWriter w, ReadOnlySpan<byte> _) =>
        {
            ChannelNumberAttribute.Write(ref w, 0x4ABC);
            RequestedTransportAttribute.Write(ref w, 17);
            DontFragmentAttribute.Write(ref w);
            RequestedAddressFamilyAttribute.Write(ref w, RequestedAddressFamilyAttribute.IPv6);
        }, transactionId: Tid);
        Assert.True(Read(raw, m => m.Channel == 0x4ABC && m.Transport == 17 && m.DontFragment && m.Family == 2));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(1200)]
    public void DataRoundTrips(int length)
    {
        var data = Enumerable.Range(0, length).Select(i => (byte)i).ToArray();
        var r = RoundTrip((ref StunWriter w, ReadOnlySpan<byte> _) => DataAttribute.Write(ref w, data));
        Assert.Equal(data, r.Data);
    }

    [Fact]
    public void UnknownAttributesRoundTrip()
    {
        ushort[] types = [0x0018, 0x0022, 0x7FFF];
        var r = RoundTrip((ref StunWriter w, ReadOnlySpan<byte> _) => UnknownAttributesAttribute.Write(ref w, types));
        Assert.Equal(types, r.UnknownAttributes);
    }

    [Fact]
    public void PasswordAlgorithmsAndPasswordAlgorithmRoundTrip()
    {
        var raw = StunBuilder.Build(StunMethod.Allocate, StunClass.Request, (ref StunWriter w, ReadOnlySpan<byte> _) =>
        {
            PasswordAlgorithmsAttribute.Write(ref w, PasswordAlgorithmsAttribute.ServerValue);
            PasswordAlgorithmAttribute.Write(ref w, PasswordAlgorithmsAttribute.Sha256);
        }, transactionId: Tid);
        Assert.True(Read(raw, m => m.Algorithms.SequenceEqual([PasswordAlgorithmsAttribute.Sha256, PasswordAlgorithmsAttribute.Md5]) && m.Algorithm == PasswordAlgorithmsAttribute.Sha256));
    }

    [Fact]
    public void MessageIntegrityAndSha256AndFingerprintVerifyAfterWriting()
    {
        var key = new byte[] { 1, 2, 3 };
        var raw = StunBuilder.Build(StunMethod.Allocate, StunClass.Request, (ref StunWriter w, ReadOnlySpan<byte> _) =>
        {
            SoftwareAttribute.Write(ref w, "x");
            w.WriteMessageIntegrity(key);
            w.WriteMessageIntegritySha256(key);
        }, transactionId: Tid);
        Assert.True(StunMessage.TryParse(raw, out var m));
        Assert.True(MessageIntegrityAttribute.IsValid(m, key));
        Assert.True(MessageIntegritySha256Attribute.IsValid(m, key));
        Assert.True(FingerprintAttribute.IsValid(m));
        Assert.False(MessageIntegritySha256Attribute.IsValid(m, [9]));
    }

    [Fact]
    public void MessageTypeEncodingRoundTripsForEveryMethodAndClass()
    {
        foreach (var method in new ushort[] { 1, 3, 4, 6, 7, 8, 9, 0xFFF })
        {
            foreach (var cls in Enum.GetValues<StunClass>())
            {
                var type = StunConstants.MessageType(method, cls);
                Assert.Equal(method, StunConstants.MethodOf(type));
                Assert.Equal(cls, StunConstants.ClassOf(type));
            }
        }

        Assert.Equal(0x0001, StunConstants.MessageType(StunMethod.Binding, StunClass.Request));
        Assert.Equal(0x0101, StunConstants.MessageType(StunMethod.Binding, StunClass.SuccessResponse));
        Assert.Equal(0x0113, StunConstants.MessageType(StunMethod.Allocate, StunClass.ErrorResponse));
        Assert.Equal(0x0016, StunConstants.MessageType(StunMethod.Send, StunClass.Indication));
        Assert.Equal(0x0017, StunConstants.MessageType(StunMethod.Data, StunClass.Indication));
    }

    [Theory]
    [InlineData("")]
    [InlineData("0001")]
    [InlineData("000100002112a442000000000000000000000000FF")] // trailing byte
    [InlineData("000100042112a442000000000000000000000000")] // length beyond the datagram
    [InlineData("000100012112a442000000000000000000000000")] // length not a multiple of 4
    [InlineData("000100002112a443000000000000000000000000")] // wrong magic cookie
    [InlineData("c00100002112a442000000000000000000000000")] // top bits set
    [InlineData("000100082112a4420000000000000000000000000006000800000000")] // attribute overruns
    public void MalformedMessagesAreRejectedWithoutThrowing(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        Assert.False(StunMessage.TryParse(bytes, out _));
    }

    [Fact]
    public void AnAttributeAfterFingerprintMakesTheMessageMalformed()
    {
        var raw = StunBuilder.Build(StunMethod.Binding, StunClass.Request, transactionId: Tid).ToList();
        raw.AddRange(Convert.FromHexString("80220000"));
        raw[3] += 4;
        Assert.False(StunMessage.TryParse(raw.ToArray(), out _));
    }

    [Fact]
    public void AttributesAfterMessageIntegrityAreIgnored()
    {
        var raw = StunBuilder.Build(StunMethod.Binding, StunClass.Request, (ref StunWriter w, ReadOnlySpan<byte> _) =>
        {
            w.WriteMessageIntegrity([1]);
            UsernameAttribute.Write(ref w, "smuggled");
        }, transactionId: Tid, fingerprint: false);
        Assert.True(StunMessage.TryParse(raw, out var m));
        Assert.False(UsernameAttribute.TryRead(m, out _));
    }

    /// <summary>Reads a message into plain values (the parsed message is a ref struct).</summary>
    public sealed class StunMessageReader
    {
        public StunMessageReader(byte[] raw)
        {
            Assert.True(StunMessage.TryParse(raw, out var m));
            MappedAddress = MappedAddressAttribute.TryRead(m, out var a) ? a : null;
            Channel = ChannelNumberAttribute.TryRead(m, out var c) ? c : null;
            Transport = RequestedTransportAttribute.TryRead(m, out var t) ? t : null;
            DontFragment = DontFragmentAttribute.IsPresent(m);
            Family = RequestedAddressFamilyAttribute.TryRead(m, out var f) ? f : null;
            var list = new List<ushort>();
            if (PasswordAlgorithmsAttribute.TryRead(m, out var value))
            {
                PasswordAlgorithmsAttribute.TryParse(value, list);
            }

            Algorithms = list;
            Algorithm = PasswordAlgorithmAttribute.TryRead(m, out var alg) ? alg : null;
        }

        internal TransportAddress? MappedAddress { get; }

        public ushort? Channel { get; }

        public byte? Transport { get; }

        public bool DontFragment { get; }

        public byte? Family { get; }

        public IReadOnlyList<ushort> Algorithms { get; }

        public ushort? Algorithm { get; }
    }
}
