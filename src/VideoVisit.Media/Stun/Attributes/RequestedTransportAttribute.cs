namespace VideoVisit.Media.Stun.Attributes;

/// <summary>REQUESTED-TRANSPORT: the IP protocol number of the relay (17 for UDP) and 3 reserved bytes (RFC 8656 §18.6).</summary>
internal static class RequestedTransportAttribute
{
    public const ushort Type = 0x0019;
    public const byte Udp = 17;

    public static bool TryRead(in StunMessage message, out byte protocol)
    {
        protocol = 0;
        if (!message.TryGetAttribute(Type, out var value) || value.Length != 4)
        {
            return false;
        }

        protocol = value[0];
        return true;
    }

    public static void Write(ref StunWriter writer, byte protocol)
    {
        var value = writer.Reserve(Type, 4);
        value.Clear();
        value[0] = protocol;
    }
}
