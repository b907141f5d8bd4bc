using System.Security.Cryptography;
using VideoVisit.Media.Stun;
using VideoVisit.Media.Stun.Attributes;
using VideoVisit.Media.Turn;

namespace VideoVisit.Media.Tests.Support;

/// <summary>Long-term credentials as a client holds them after a 401.</summary>
public sealed record ClientCredentials(string Username, string Password, string Realm, string Nonce, bool Sha256 = false)
{
    internal byte[] Key => LongTermAuthenticator.DeriveKey(Username, Realm, Password, Sha256);
}

/// <summary>Builds client requests with the production codec (it is tested separately against RFC 5769).</summary>
public static class StunBuilder
{
    internal delegate void Attributes(ref StunWriter writer, ReadOnlySpan<byte> transactionId);

    public static byte[] NewTransactionId() => RandomNumberGenerator.GetBytes(12);

    internal static byte[] Build(ushort method, StunClass cls, Attributes? attributes = null, ClientCredentials? credentials = null, byte[]? transactionId = null, bool fingerprint = true)
    {
        transactionId ??= NewTransactionId();
        var buffer = new byte[4096];
        var writer = new StunWriter(buffer, method, cls, transactionId);
        attributes?.Invoke(ref writer, transactionId);
        if (credentials is not null)
        {
            UsernameAttribute.Write(ref writer, credentials.Username);
            RealmAttribute.Write(ref writer, credentials.Realm);
            NonceAttribute.Write(ref writer, credentials.Nonce);
            if (credentials.Sha256)
            {
                PasswordAlgorithmsAttribute.Write(ref writer, PasswordAlgorithmsAttribute.ServerValue);
                PasswordAlgorithmAttribute.Write(ref writer, PasswordAlgorithmsAttribute.Sha256);
                writer.WriteMessageIntegritySha256(credentials.Key);
            }
            else
            {
                writer.WriteMessageIntegrity(credentials.Key);
            }
        }

        if (fingerprint)
        {
            writer.WriteFingerprint();
        }

        return writer.Written.ToArray();
    }

    internal static byte[] Allocate(ClientCredentials? credentials, byte[]? transactionId = null, uint? lifetime = null, byte transport = 17) =>
        Build(StunMethod.Allocate, StunClass.Request, (ref StunWriter w, ReadOnlySpan<byte> _) =>
        {
            RequestedTransportAttribute.Write(ref w, transport);
            if (lifetime is { } l)
            {
                LifetimeAttribute.Write(ref w, l);
            }
        }, credentials, transactionId);

    internal static byte[] Refresh(ClientCredentials credentials, uint? lifetime) =>
        Build(StunMethod.Refresh, StunClass.Request, (ref StunWriter w, ReadOnlySpan<byte> _) =>
        {
            if (lifetime is { } l)
            {
                LifetimeAttribute.Write(ref w, l);
            }
        }, credentials);

    internal static byte[] CreatePermission(ClientCredentials credentials, params TransportAddress[] peers) =>
        Build(StunMethod.CreatePermission, StunClass.Request, (ref StunWriter w, ReadOnlySpan<byte> tid) =>
        {
            foreach (var peer in peers)
            {
                XorPeerAddressAttribute.Write(ref w, peer, tid);
            }
        }, credentials);

    internal static byte[] ChannelBind(ClientCredentials credentials, ushort channel, TransportAddress peer) =>
        Build(StunMethod.ChannelBind, StunClass.Request, (ref StunWriter w, ReadOnlySpan<byte> tid) =>
        {
            ChannelNumberAttribute.Write(ref w, channel);
            XorPeerAddressAttribute.Write(ref w, peer, tid);
        }, credentials);

    internal static byte[] SendIndication(TransportAddress peer, byte[] data) =>
        Build(StunMethod.Send, StunClass.Indication, (ref StunWriter w, ReadOnlySpan<byte> tid) =>
        {
            XorPeerAddressAttribute.Write(ref w, peer, tid);
            DataAttribute.Write(ref w, data);
        }, fingerprint: false);

    public static byte[] ChannelData(ushort channel, byte[] data, bool pad)
    {
        var length = 4 + data.Length;
        var total = pad ? (length + 3) & ~3 : length;
        var packet = new byte[total];
        packet[0] = (byte)(channel >> 8);
        packet[1] = (byte)channel;
        packet[2] = (byte)(data.Length >> 8);
        packet[3] = (byte)data.Length;
        data.CopyTo(packet, 4);
        return packet;
    }
}

/// <summary>A response read into plain values, so tests can hold it (the codec's message is a ref struct).</summary>
public sealed class StunResponse
{
    private StunResponse(byte[] raw) => Raw = raw;

    public byte[] Raw { get; }

    internal StunClass Class { get; private init; }

    public ushort Method { get; private init; }

    public int ErrorCode { get; private init; }

    public string? Realm { get; private init; }

    public string? Nonce { get; private init; }

    internal TransportAddress? XorMappedAddress { get; private init; }

    internal TransportAddress? XorRelayedAddress { get; private init; }

    internal TransportAddress? XorPeerAddress { get; private init; }

    public uint? Lifetime { get; private init; }

    public byte[]? Data { get; private init; }

    public ushort[] UnknownAttributes { get; private init; } = [];

    public bool HasPasswordAlgorithms { get; private init; }

    public bool HasMessageIntegrity { get; private init; }

    public bool HasMessageIntegritySha256 { get; private init; }

    public bool FingerprintValid { get; private init; }

    public bool IsSuccess => Class == StunClass.SuccessResponse;

    public static StunResponse Parse(byte[] raw)
    {
        if (!StunMessage.TryParse(raw, out var m))
        {
            throw new InvalidOperationException("Not a STUN message: " + Convert.ToHexString(raw));
        }

        ErrorCodeAttribute.TryRead(m, out var code, out _);
        UnknownAttributesAttribute.TryRead(m, out var unknown);
        return new StunResponse(raw)
        {
            Class = m.Class,
            Method = m.Method,
            ErrorCode = code,
            Realm = RealmAttribute.TryReadString(m, out var realm) ? realm : null,
            Nonce = NonceAttribute.TryReadString(m, out var nonce) ? nonce : null,
            XorMappedAddress = XorMappedAddressAttribute.TryRead(m, out var mapped) ? mapped : null,
            XorRelayedAddress = XorRelayedAddressAttribute.TryRead(m, out var relayed) ? relayed : null,
            XorPeerAddress = XorPeerAddressAttribute.TryRead(m, out var peer) ? peer : null,
            Lifetime = LifetimeAttribute.TryRead(m, out var lifetime) ? lifetime : null,
            Data = DataAttribute.TryRead(m, out var data) ? data.ToArray() : null,
            UnknownAttributes = unknown,
            HasPasswordAlgorithms = m.HasAttribute(PasswordAlgorithmsAttribute.Type),
            HasMessageIntegrity = m.MessageIntegrityOffset >= 0,
            HasMessageIntegritySha256 = m.MessageIntegritySha256Offset >= 0,
            FingerprintValid = FingerprintAttribute.IsValid(m),
        };
    }

    /// <summary>True when the response's integrity verifies with <paramref name="key"/>.</summary>
    public bool IntegrityValidWith(byte[] key)
    {
        if (!StunMessage.TryParse(Raw, out var m))
        {
            return false;
        }

        return m.MessageIntegritySha256Offset >= 0 ? MessageIntegritySha256Attribute.IsValid(m, key) : MessageIntegrityAttribute.IsValid(m, key);
    }
}
