using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace VideoVisit.Media.Stun;

/// <summary>
/// An IP address and port as plain numbers: cheap to compare and hash, so it keys the allocation
/// table and the permission and channel maps without allocating on the packet path. IPv4 addresses
/// sit in the low 32 bits of <see cref="Address"/>.
/// </summary>
internal readonly record struct TransportAddress(UInt128 Address, ushort Port, bool IsIPv6)
{
    public AddressFamily Family => IsIPv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;

    /// <summary>The same address with port 0: permissions are per IP address (RFC 8656 §9).</summary>
    public TransportAddress WithoutPort => this with { Port = 0 };

    public static TransportAddress FromIPv4(uint address, ushort port) => new(address, port, false);

    public static TransportAddress From(IPEndPoint endPoint) => From(endPoint.Address, (ushort)endPoint.Port);

    public static TransportAddress From(IPAddress address, ushort port)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(bytes, out _);
            return FromIPv4(BinaryPrimitives.ReadUInt32BigEndian(bytes), port);
        }

        address.TryWriteBytes(bytes, out _);
        return new(BinaryPrimitives.ReadUInt128BigEndian(bytes), port, true);
    }

    /// <summary>Reads a socket address filled by a receive call without allocating.</summary>
    public static bool TryFrom(SocketAddress socketAddress, out TransportAddress address)
    {
        var span = socketAddress.Buffer.Span;
        var port = BinaryPrimitives.ReadUInt16BigEndian(span[2..]);
        switch (socketAddress.Family)
        {
            case AddressFamily.InterNetwork when socketAddress.Size >= 8:
                address = FromIPv4(BinaryPrimitives.ReadUInt32BigEndian(span[4..]), port);
                return true;
            case AddressFamily.InterNetworkV6 when socketAddress.Size >= 24:
                address = new(BinaryPrimitives.ReadUInt128BigEndian(span[8..]), port, true);
                return true;
            default:
                address = default;
                return false;
        }
    }

    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!IsIPv6)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)Address);
            return new IPAddress(bytes[..4]);
        }

        BinaryPrimitives.WriteUInt128BigEndian(bytes, Address);
        return new IPAddress(bytes);
    }

    public IPEndPoint ToIPEndPoint() => new(ToIPAddress(), Port);

    public SocketAddress ToSocketAddress() => ToIPEndPoint().Serialize();

    /// <summary>The IPv4-mapped IPv6 form, for sending through a dual-mode socket.</summary>
    public TransportAddress ToIPv6Mapped() => IsIPv6 ? this : new(((UInt128)0xFFFF << 32) | (uint)Address, Port, true);

    public override string ToString() => ToIPEndPoint().ToString();
}
