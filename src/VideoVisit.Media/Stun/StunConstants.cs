namespace VideoVisit.Media.Stun;

/// <summary>The four STUN message classes (RFC 8489 §5).</summary>
internal enum StunClass
{
    Request = 0,
    Indication = 1,
    SuccessResponse = 2,
    ErrorResponse = 3,
}

/// <summary>STUN and TURN method numbers (RFC 8489 §18.2, RFC 8656 §17).</summary>
internal static class StunMethod
{
    public const ushort Binding = 0x001;
    public const ushort Allocate = 0x003;
    public const ushort Refresh = 0x004;
    public const ushort Send = 0x006;
    public const ushort Data = 0x007;
    public const ushort CreatePermission = 0x008;
    public const ushort ChannelBind = 0x009;
}

/// <summary>Fixed numbers of the STUN header (RFC 8489 §5).</summary>
internal static class StunConstants
{
    public const int HeaderLength = 20;
    public const uint MagicCookie = 0x2112A442;
    public const int TransactionIdLength = 12;

    /// <summary>
    /// Builds the 14-bit message type from a method and a class: the class bits C1 C0 sit at
    /// positions 8 and 4 of the type, between the method bits (RFC 8489 §5, figure 3).
    /// </summary>
    public static ushort MessageType(ushort method, StunClass cls)
    {
        var c = (int)cls;
        return (ushort)((method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2)
            | ((c & 0x1) << 4) | ((c & 0x2) << 7));
    }

    public static ushort MethodOf(ushort messageType) =>
        (ushort)((messageType & 0x000F) | ((messageType & 0x00E0) >> 1) | ((messageType & 0x3E00) >> 2));

    public static StunClass ClassOf(ushort messageType) =>
        (StunClass)(((messageType >> 4) & 0x1) | ((messageType >> 7) & 0x2));
}
