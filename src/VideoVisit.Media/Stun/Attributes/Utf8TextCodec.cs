using System.Text;

namespace VideoVisit.Media.Stun.Attributes;

/// <summary>
/// The value of the UTF-8 text attributes (USERNAME, REALM, NONCE, SOFTWARE): bytes with a length
/// cap, read strictly (invalid UTF-8 is refused, never replaced), written as they come.
/// </summary>
internal static class Utf8TextCodec
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public static bool TryRead(in StunMessage message, ushort type, int maxLength, out ReadOnlySpan<byte> value) =>
        message.TryGetAttribute(type, out value) && value.Length <= maxLength;

    public static bool TryReadString(in StunMessage message, ushort type, int maxLength, out string text)
    {
        text = "";
        if (!TryRead(message, type, maxLength, out var value))
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

    public static void Write(ref StunWriter writer, ushort type, string text) =>
        Encoding.UTF8.GetBytes(text, writer.Reserve(type, Encoding.UTF8.GetByteCount(text)));
}
