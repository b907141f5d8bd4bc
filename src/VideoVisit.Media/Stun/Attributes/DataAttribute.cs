namespace VideoVisit.Media.Stun.Attributes;

/// <summary>DATA: the application data of a Send or Data indication (RFC 8656 §18.4).</summary>
internal static class DataAttribute
{
    public const ushort Type = 0x0013;

    public static bool TryRead(in StunMessage message, out ReadOnlySpan<byte> data) => message.TryGetAttribute(Type, out data);

    public static void Write(ref StunWriter writer, ReadOnlySpan<byte> data) => writer.Write(Type, data);
}
