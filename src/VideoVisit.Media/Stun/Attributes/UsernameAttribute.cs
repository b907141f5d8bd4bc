namespace VideoVisit.Media.Stun.Attributes;

/// <summary>USERNAME: the user name of the long-term credential, UTF-8, under 513 bytes (RFC 8489 §14.3).</summary>
internal static class UsernameAttribute
{
    public const ushort Type = 0x0006;

    /// <summary>The longest value accepted, in bytes.</summary>
    public const int MaxLength = 513;

    public static bool TryRead(in StunMessage message, out ReadOnlySpan<byte> value) =>
        Utf8TextCodec.TryRead(message, Type, MaxLength, out value);

    public static bool TryReadString(in StunMessage message, out string text) =>
        Utf8TextCodec.TryReadString(message, Type, MaxLength, out text);

    public static void Write(ref StunWriter writer, ReadOnlySpan<byte> value) => writer.Write(Type, value);

    public static void Write(ref StunWriter writer, string text) => Utf8TextCodec.Write(ref writer, Type, text);
}
