using System.Buffers.Binary;

namespace VideoVisit.Media.Stun.Attributes;

/// <summary>UNKNOWN-ATTRIBUTES: the comprehension-required types a 420 response did not understand (RFC 8489 §14.13).</summary>
internal static class UnknownAttributesAttribute
{
    public const ushort Type = 0x000A;

    public static bool TryRead(in StunMessage message, out ushort[] types)
    {
        types = [];
        if (!message.TryGetAttribute(Type, out var value) || (value.Length & 1) != 0)
        {
            return false;
        }

        types = new ushort[value.Length / 2];
        for (var i = 0; i < types.Length; i++)
        {
            types[i] = BinaryPrimitives.ReadUInt16BigEndian(value[(i * 2)..]);
        }

        return true;
    }

    public static void Write(ref StunWriter writer, ReadOnlySpan<ushort> types)
    {
        var value = writer.Reserve(Type, types.Length * 2);
        for (var i = 0; i < types.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(value[(i * 2)..], types[i]);
        }
    }
}
