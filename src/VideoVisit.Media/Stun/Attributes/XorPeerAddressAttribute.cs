namespace VideoVisit.Media.Stun.Attributes;

/// <summary>XOR-PEER-ADDRESS: a peer's address in CreatePermission, ChannelBind, Send and Data (RFC 8656 §18.3).</summary>
internal static class XorPeerAddressAttribute
{
    public const ushort Type = 0x0012;

    public static bool TryRead(in StunMessage message, out TransportAddress address)
    {
        address = default;
        return message.TryGetAttribute(Type, out var value) && TryRead(value, message.TransactionId, out address);
    }

    public static bool TryRead(ReadOnlySpan<byte> value, ReadOnlySpan<byte> transactionId, out TransportAddress address) =>
        XorAddressCodec.TryRead(value, transactionId, xor: true, out address);

    public static void Write(ref StunWriter writer, TransportAddress address, ReadOnlySpan<byte> transactionId) =>
        XorAddressCodec.Write(writer.Reserve(Type, XorAddressCodec.LengthOf(address)), address, transactionId, xor: true);
}
