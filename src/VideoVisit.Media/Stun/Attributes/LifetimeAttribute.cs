using System.Buffers.Binary;

namespace VideoVisit.Media.Stun.Attributes;

/// <summary>LIFETIME: seconds until the allocation expires without a refresh (RFC 8656 §18.2).</summary>
internal static class LifetimeAttribute
{
    public const ushort Type = 0x000D;

    public static bool TryRead(in StunMessage message, out uint value)
    {
        value = 0;
        if (!message.TryGetAttribute(Type, out var raw) || raw.Length != 4)
        {
            return false;
        }

        value = BinaryPrimitives.ReadUInt32BigEndian(raw);
        return true;
    }

    public static void Write(ref StunWriter writer, uint value) => BinaryPrimitives.WriteUInt32BigEndian(writer.Reserve(Type, 4), value);
}
