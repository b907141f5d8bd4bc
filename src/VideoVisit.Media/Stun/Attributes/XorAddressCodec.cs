using System.Buffers.Binary;

namespace VideoVisit.Media.Stun.Attributes;

/// <summary>
/// The address encodings shared by MAPPED-ADDRESS and the XOR-*-ADDRESS attributes (RFC 8489 §14.1,
/// §14.2): family 0x01 (IPv4) or 0x02 (IPv6), port, address; the XOR forms xor the port with the top
/// of the magic cookie and the address with the cookie followed by the transaction id.
/// </summary>
internal static class XorAddressCodec
{
    public static int LengthOf(TransportAddress address) => address.IsIPv6 ? 20 : 8;

    public static bool TryRead(ReadOnlySpan<byte> value, ReadOnlySpan<byte> transactionId, bool xor, out TransportAddress address)
    {
        address = default;
        if (value.Length < 4)
        {
            return false;
        }

        var family = value[1];
        var port = BinaryPrimitives.ReadUInt16BigEndian(value[2..]);
        if (xor)
        {
            port ^= (ushort)(StunConstants.MagicCookie >> 16);
        }

        if (family == 0x01 && value.Length == 8)
        {
            var ip = BinaryPrimitives.ReadUInt32BigEndian(value[4..]);
            if (xor)
            {
                ip ^= StunConstants.MagicCookie;
            }

            address = TransportAddress.FromIPv4(ip, port);
            return true;
        }

        if (family == 0x02 && value.Length == 20)
        {
            var ip = BinaryPrimitives.ReadUInt128BigEndian(value[4..]);
            if (xor)
            {
                ip ^= XorMask(transactionId);
            }

            address = new TransportAddress(ip, port, true);
            return true;
        }

        return false;
    }

    public static void Write(Span<byte> value, TransportAddress address, ReadOnlySpan<byte> transactionId, bool xor)
    {
        value[0] = 0;
        value[1] = address.IsIPv6 ? (byte)0x02 : (byte)0x01;
        var port = address.Port;
        if (xor)
        {
            port ^= (ushort)(StunConstants.MagicCookie >> 16);
        }

        BinaryPrimitives.WriteUInt16BigEndian(value[2..], port);
        if (address.IsIPv6)
        {
            var ip = address.Address;
            if (xor)
            {
                ip ^= XorMask(transactionId);
            }

            BinaryPrimitives.WriteUInt128BigEndian(value[4..], ip);
        }
        else
        {
            var ip = (uint)address.Address;
            if (xor)
            {
                ip ^= StunConstants.MagicCookie;
            }

            BinaryPrimitives.WriteUInt32BigEndian(value[4..], ip);
        }
    }

    private static UInt128 XorMask(ReadOnlySpan<byte> transactionId)
    {
        Span<byte> mask = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(mask, StunConstants.MagicCookie);
        transactionId.CopyTo(mask[4..]);
        return BinaryPrimitives.ReadUInt128BigEndian(mask);
    }
}
