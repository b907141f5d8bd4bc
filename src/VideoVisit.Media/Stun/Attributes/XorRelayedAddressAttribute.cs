namespace VideoVisit.Media.Stun.Attributes;

/// <summary>XOR-RELAYED-ADDRESS: the relayed transport address the server allocated (RFC 8656 §18.5).</summary>
internal static class XorRelayedAddressAttribute
{
    public const ushort Type = 0x0016;

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
