namespace VideoVisit.Media.Stun.Attributes;

/// <summary>DONT-FRAGMENT: no value; asks the server to set DF on datagrams it relays (RFC 8656 §18.8).</summary>
internal static class DontFragmentAttribute
{
    public const ushort Type = 0x001A;

    public static bool IsPresent(in StunMessage message) => message.HasAttribute(Type);

    public static void Write(ref StunWriter writer) => writer.Reserve(Type, 0);
}
