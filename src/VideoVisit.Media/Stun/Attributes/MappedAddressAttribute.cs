namespace VideoVisit.Media.Stun.Attributes;

/// <summary>MAPPED-ADDRESS: the reflexive address in the clear, kept for RFC 3489 clients (RFC 8489 §14.1).</summary>
internal static class MappedAddressAttribute
{
    public const ushort Type = 0x0001;

    public static bool TryRead(in StunMessage message, out TransportAddress address)
    {
        address = default;
        return message.TryGetAttribute(Type, out var value) && TryRead(value, message.TransactionId, out address);
    }

    public static bool TryRead(ReadOnlySpan<byte> value, ReadOnlySpan<byte> transactionId, out TransportAddress address) =>
        XorAddressCodec.TryRead(value, transactionId, xor: false, out address);

    public static void Write(ref StunWriter writer, TransportAddress address, ReadOnlySpan<byte> transactionId) =>
        XorAddressCodec.Write(writer.Reserve(Type, XorAddressCodec.LengthOf(address)), address, transactionId, xor: false);
}
