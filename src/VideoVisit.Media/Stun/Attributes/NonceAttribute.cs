using System.Text;

namespace VideoVisit.Media.Stun.Attributes;

/// <summary>NONCE: the server's nonce, under 128 characters (RFC 8489 §14.10).</summary>
internal static class NonceAttribute
{
    public const ushort Type = 0x0015;

    /// <summary>The longest value accepted, in bytes.</summary>
    public const int MaxLength = 763;

    public static bool TryRead(in StunMessage message, out ReadOnlySpan<byte> value) =>
        message.TryGetAttribute(Type, out value) && value.Length <= MaxLength;

    public static bool TryReadString(in StunMessage message, out string text)
    {
        text = "";
        if (!TryRead(message, out var value))
        {
            return false;
        }

        try
        {
            text = StrictUtf8.GetString(value);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    public static void Write(ref StunWriter writer, ReadOnlySpan<byte> value) => writer.Write(Type, value);

    public static void Write(ref StunWriter writer, string text) =>
        Encoding.UTF8.GetBytes(text, writer.Reserve(Type, Encoding.UTF8.GetByteCount(text)));

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
}
