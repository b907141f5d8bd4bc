namespace VideoVisit.Media.Stun.Attributes;

/// <summary>REQUESTED-ADDRESS-FAMILY: 0x01 IPv4 or 0x02 IPv6 for the relayed address (RFC 8656 §18.10).</summary>
internal static class RequestedAddressFamilyAttribute
{
    public const ushort Type = 0x0017;
    public const byte IPv4 = 0x01;
    public const byte IPv6 = 0x02;

    public static bool TryRead(in StunMessage message, out byte family)
    {
        family = 0;
        if (!message.TryGetAttribute(Type, out var value) || value.Length != 4)
        {
            return false;
        }

        family = value[0];
        return true;
    }

    public static void Write(ref StunWriter writer, byte family)
    {
        var value = writer.Reserve(Type, 4);
        value.Clear();
        value[0] = family;
    }
}
