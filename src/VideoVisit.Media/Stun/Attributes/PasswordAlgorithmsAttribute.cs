using System.Buffers.Binary;

namespace VideoVisit.Media.Stun.Attributes;

/// <summary>
/// PASSWORD-ALGORITHMS: the algorithms the server accepts for the long-term key, in order of
/// preference; each entry is algorithm (2 bytes), parameter length (2 bytes), parameters, padding
/// (RFC 8489 §14.11, §18.5).
/// </summary>
internal static class PasswordAlgorithmsAttribute
{
    public const ushort Type = 0x8002;

    public const ushort Md5 = 0x0001;
    public const ushort Sha256 = 0x0002;

    /// <summary>What this server offers: SHA-256 first, MD5 for older clients.</summary>
    public static ReadOnlySpan<byte> ServerValue => [0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00];

    public static bool TryRead(in StunMessage message, out ReadOnlySpan<byte> value) => message.TryGetAttribute(Type, out value);

    /// <summary>Reads the algorithm numbers of a value; false when it is malformed.</summary>
    public static bool TryParse(ReadOnlySpan<byte> value, List<ushort> algorithms)
    {
        while (value.Length > 0)
        {
            if (value.Length < 4)
            {
                return false;
            }

            algorithms.Add(BinaryPrimitives.ReadUInt16BigEndian(value));
            int parameters = BinaryPrimitives.ReadUInt16BigEndian(value[2..]);
            var padded = (parameters + 3) & ~3;
            if (padded > value.Length - 4)
            {
                return false;
            }

            value = value[(4 + padded)..];
        }

        return true;
    }

    public static void Write(ref StunWriter writer, ReadOnlySpan<byte> value) => writer.Write(Type, value);
}
