using System.Text;

namespace VideoVisit.Media.Stun.Attributes;

/// <summary>ERROR-CODE: class, number and a UTF-8 reason phrase (RFC 8489 §14.8).</summary>
internal static class ErrorCodeAttribute
{
    public const ushort Type = 0x0009;

    public static bool TryRead(in StunMessage message, out int code, out string reason)
    {
        code = 0;
        reason = "";
        return message.TryGetAttribute(Type, out var value) && TryRead(value, out code, out reason);
    }

    public static bool TryRead(ReadOnlySpan<byte> value, out int code, out string reason)
    {
        code = 0;
        reason = "";
        if (value.Length < 4 || value.Length > 4 + 763)
        {
            return false;
        }

        var cls = value[2] & 0x07;
        var number = value[3];
        if (cls is < 3 or > 6 || number > 99)
        {
            return false;
        }

        code = cls * 100 + number;
        reason = Encoding.UTF8.GetString(value[4..]);
        return true;
    }

    public static void Write(ref StunWriter writer, int code, string reason)
    {
        var value = writer.Reserve(Type, 4 + Encoding.UTF8.GetByteCount(reason));
        value[0] = 0;
        value[1] = 0;
        value[2] = (byte)(code / 100);
        value[3] = (byte)(code % 100);
        Encoding.UTF8.GetBytes(reason, value[4..]);
    }
}
