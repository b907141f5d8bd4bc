using System.Security.Cryptography;

namespace VideoVisit.Media.Stun.Attributes;

/// <summary>
/// MESSAGE-INTEGRITY-SHA256: HMAC-SHA256 of the message up to it, possibly truncated to 16–32
/// bytes in steps of 4 (RFC 8489 §14.6). coturn 4.6.1 lacks it.
/// </summary>
internal static class MessageIntegritySha256Attribute
{
    public const ushort Type = 0x001C;

    public static bool IsValid(in StunMessage message, ReadOnlySpan<byte> key)
    {
        var offset = message.MessageIntegritySha256Offset;
        if (offset < 0)
        {
            return false;
        }

        var length = (message.Raw[offset + 2] << 8) | message.Raw[offset + 3];
        Span<byte> mac = stackalloc byte[32];
        IntegrityInput.Hash(message.Raw, offset, length, (k, data, dest) => HMACSHA256.HashData(k, data, dest), key, mac);
        return CryptographicOperations.FixedTimeEquals(mac[..length], message.Raw.Slice(offset + 4, length));
    }

    public static void Write(ref StunWriter writer, ReadOnlySpan<byte> key) => writer.WriteMessageIntegritySha256(key);
}
