using System.Buffers.Binary;

namespace VideoVisit.Media.Stun.Attributes;

/// <summary>RESERVATION-TOKEN: 8 bytes naming a relay port the server reserved (RFC 8656 §18.9).</summary>
internal static class ReservationTokenAttribute
{
    public const ushort Type = 0x0022;

    public static bool TryRead(in StunMessage message, out ulong token)
    {
        token = 0;
        if (!message.TryGetAttribute(Type, out var value) || value.Length != 8)
        {
            return false;
        }

        token = BinaryPrimitives.ReadUInt64BigEndian(value);
        return true;
    }

    public static void Write(ref StunWriter writer, ulong token) => BinaryPrimitives.WriteUInt64BigEndian(writer.Reserve(Type, 8), token);
}
