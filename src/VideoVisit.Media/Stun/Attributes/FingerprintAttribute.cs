using System.Buffers.Binary;

namespace VideoVisit.Media.Stun.Attributes;

/// <summary>FINGERPRINT: CRC-32 of the message up to it, XOR 0x5354554E; always last (RFC 8489 §14.7).</summary>
internal static class FingerprintAttribute
{
    public const ushort Type = 0x8028;
    public const uint XorValue = 0x5354554E;

    /// <summary>True when the message has no FINGERPRINT or a correct one.</summary>
    public static bool IsAbsentOrValid(in StunMessage message) => message.FingerprintOffset < 0 || IsValid(message);

    public static bool IsValid(in StunMessage message)
    {
        var offset = message.FingerprintOffset;
        if (offset < 0)
        {
            return false;
        }

        // The length field already counts FINGERPRINT, since it is the last attribute.
        var expected = BinaryPrimitives.ReadUInt32BigEndian(message.Raw[(offset + 4)..]);
        return (System.IO.Hashing.Crc32.HashToUInt32(message.Raw[..offset]) ^ XorValue) == expected;
    }

    public static void Write(ref StunWriter writer) => writer.WriteFingerprint();
}
