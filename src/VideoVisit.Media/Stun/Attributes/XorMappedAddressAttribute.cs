namespace VideoVisit.Media.Stun.Attributes;

/// <summary>XOR-MAPPED-ADDRESS: the client's reflexive transport address as the server saw it (RFC 8489 §14.2).</summary>
internal static class XorMappedAddressAttribute
{
    public const ushort Type = 0x0020;

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
