using System.Buffers.Binary;

namespace VideoVisit.Media.Stun.Attributes;

/// <summary>PASSWORD-ALGORITHM: the algorithm the client chose for the long-term key (RFC 8489 §14.12).</summary>
internal static class PasswordAlgorithmAttribute
{
    public const ushort Type = 0x001D;

    public static bool TryRead(in StunMessage message, out ushort algorithm)
    {
        algorithm = 0;
        if (!message.TryGetAttribute(Type, out var value) || value.Length < 4)
        {
            return false;
        }

        algorithm = BinaryPrimitives.ReadUInt16BigEndian(value);
        return BinaryPrimitives.ReadUInt16BigEndian(value[2..]) == value.Length - 4;
    }

    public static void Write(ref StunWriter writer, ushort algorithm)
    {
        var value = writer.Reserve(Type, 4);
        BinaryPrimitives.WriteUInt16BigEndian(value, algorithm);
        BinaryPrimitives.WriteUInt16BigEndian(value[2..], 0);
    }
}
