namespace VideoVisit.Media.Stun.Attributes;

/// <summary>
/// EVEN-PORT: ask for an even relay port, and with the R bit for the next port to be reserved
/// for a second allocation (RTP and RTCP pairs, RFC 8656 §18.7).
/// </summary>
internal static class EvenPortAttribute
{
    public const ushort Type = 0x0018;

    public static bool TryRead(in StunMessage message, out bool reserveNext)
    {
        reserveNext = false;
        if (!message.TryGetAttribute(Type, out var value) || value.Length != 1)
        {
            return false;
        }

        reserveNext = (value[0] & 0x80) != 0;
        return true;
    }

    public static void Write(ref StunWriter writer, bool reserveNext) => writer.Reserve(Type, 1)[0] = reserveNext ? (byte)0x80 : (byte)0;
}
