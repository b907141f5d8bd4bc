namespace VideoVisit.Media.Stun.Attributes;

/// <summary>REALM: the long-term credential realm, under 128 characters (RFC 8489 §14.9).</summary>
internal static class RealmAttribute
{
    public const ushort Type = 0x0014;

    /// <summary>The longest value accepted, in bytes.</summary>
    public const int MaxLength = 763;

    public static bool TryRead(in StunMessage message, out ReadOnlySpan<byte> value) =>
        Utf8TextCodec.TryRead(message, Type, MaxLength, out value);

    public static bool TryReadString(in StunMessage message, out string text) =>
        Utf8TextCodec.TryReadString(message, Type, MaxLength, out text);

    public static void Write(ref StunWriter writer, ReadOnlySpan<byte> value) => writer.Write(Type, value);

    public static void Write(ref StunWriter writer, string text) => Utf8TextCodec.Write(ref writer, Type, text);
}
