using System.Security.Cryptography;

namespace VideoVisit.Media.Stun.Attributes;

/// <summary>MESSAGE-INTEGRITY: HMAC-SHA1 of the message up to it, keyed by the credential (RFC 8489 §14.5).</summary>
internal static class MessageIntegrityAttribute
{
    public const ushort Type = 0x0008;
    public const int Length = 20;

    /// <summary>Checks the attribute against <paramref name="key"/> in constant time.</summary>
    public static bool IsValid(in StunMessage message, ReadOnlySpan<byte> key)
    {
        var offset = message.MessageIntegrityOffset;
        if (offset < 0)
        {
            return false;
        }

        Span<byte> mac = stackalloc byte[Length];
        // HMAC-SHA1 is what RFC 8489 §14.5 defines for MESSAGE-INTEGRITY.
#pragma warning disable CA5350
        IntegrityInput.Hash(message.Raw, offset, Length, (k, data, dest) => HMACSHA1.HashData(k, data, dest), key, mac);
#pragma warning restore CA5350
        return CryptographicOperations.FixedTimeEquals(mac, message.Raw.Slice(offset + 4, Length));
    }

    public static void Write(ref StunWriter writer, ReadOnlySpan<byte> key) => writer.WriteMessageIntegrity(key);
}
