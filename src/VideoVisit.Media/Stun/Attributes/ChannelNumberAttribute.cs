using System.Buffers.Binary;

namespace VideoVisit.Media.Stun.Attributes;

/// <summary>CHANNEL-NUMBER: a 16-bit channel number and 16 reserved bits (RFC 8656 §18.1).</summary>
internal static class ChannelNumberAttribute
{
    public const ushort Type = 0x000C;

    /// <summary>The channel numbers a client may bind (RFC 8656 §12).</summary>
    public const ushort Min = 0x4000;
    public const ushort Max = 0x4FFF;

    /// <summary>The upper bound RFC 5766 allowed, before RFC 8656 narrowed it.</summary>
    public const ushort Rfc5766Max = 0x7FFF;

    public static bool TryRead(in StunMessage message, out ushort channel)
    {
        channel = 0;
        if (!message.TryGetAttribute(Type, out var value) || value.Length != 4)
        {
            return false;
        }

        channel = BinaryPrimitives.ReadUInt16BigEndian(value);
        return true;
    }

    public static void Write(ref StunWriter writer, ushort channel)
    {
        var value = writer.Reserve(Type, 4);
        BinaryPrimitives.WriteUInt16BigEndian(value, channel);
        BinaryPrimitives.WriteUInt16BigEndian(value[2..], 0);
    }
}
