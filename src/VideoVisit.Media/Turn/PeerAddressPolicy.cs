using System.Globalization;
using System.Net;
using System.Net.Sockets;
using VideoVisit.Media.Stun;

namespace VideoVisit.Media.Turn;

/// <summary>
/// Which peers an allocation may reach. A relay on the public internet must never become a way into
/// the network it runs in (RFC 8656 §21.3), so loopback, unspecified, private (RFC 1918, CGNAT
/// 100.64/10, ULA fc00::/7), link-local (169.254/16 with the cloud metadata address, fe80::/10),
/// multicast, broadcast and reserved ranges are refused. IPv6 forms that carry an IPv4 address
/// (IPv4-mapped, IPv4-compatible, 6to4, NAT64 64:ff9b::/96, Teredo) are judged by the IPv4 address
/// they carry, which closes the bypasses coturn 4.6.1 has. <c>Turn:AllowedPeers</c> CIDRs override
/// the deny list (for tests and lab networks).
/// </summary>
internal sealed class PeerAddressPolicy
{
    private static readonly Cidr[] Denied =
    [
        Cidr.Parse("0.0.0.0/8"), Cidr.Parse("10.0.0.0/8"), Cidr.Parse("100.64.0.0/10"), Cidr.Parse("127.0.0.0/8"),
        Cidr.Parse("169.254.0.0/16"), Cidr.Parse("172.16.0.0/12"), Cidr.Parse("192.0.0.0/24"), Cidr.Parse("192.0.2.0/24"),
        Cidr.Parse("192.88.99.0/24"), Cidr.Parse("192.168.0.0/16"), Cidr.Parse("198.18.0.0/15"), Cidr.Parse("198.51.100.0/24"),
        Cidr.Parse("203.0.113.0/24"), Cidr.Parse("224.0.0.0/4"), Cidr.Parse("240.0.0.0/4"),
        Cidr.Parse("::/127"), Cidr.Parse("100::/64"), Cidr.Parse("2001:db8::/32"), Cidr.Parse("2001:10::/28"),
        Cidr.Parse("2001:20::/28"), Cidr.Parse("64:ff9b:1::/48"), Cidr.Parse("fc00::/7"), Cidr.Parse("fe80::/10"),
        Cidr.Parse("fec0::/10"), Cidr.Parse("ff00::/8"),
    ];

    private readonly Cidr[] _allowed;

    public PeerAddressPolicy(IEnumerable<string> allowedCidrs)
    {
        _allowed = allowedCidrs.Select(Cidr.Parse).ToArray();
    }

    /// <summary>True when <paramref name="peer"/> (port ignored) may be given a permission or a channel.</summary>
    public bool IsAllowed(TransportAddress peer)
    {
        var canonical = Canonicalize(peer);
        if (IsIn(_allowed, canonical) || IsIn(_allowed, peer))
        {
            return true;
        }

        return !IsIn(Denied, canonical) && !IsIn(Denied, peer);
    }

    /// <summary>The IPv4 address an IPv6 address carries, when it carries one; otherwise the address itself.</summary>
    public static TransportAddress Canonicalize(TransportAddress address)
    {
        if (!address.IsIPv6)
        {
            return address;
        }

        var a = address.Address;
        var low32 = (uint)a;
        var top96 = a >> 32;
        if (top96 == 0xFFFF || top96 == 0)
        {
            // ::ffff:a.b.c.d (IPv4-mapped) and ::a.b.c.d (IPv4-compatible, deprecated but routable by some stacks).
            // :: and ::1 stay IPv6: they are the unspecified and loopback addresses, both denied below.
            if (top96 == 0xFFFF || low32 > 1)
            {
                return TransportAddress.FromIPv4(low32, address.Port);
            }

            return address;
        }

        if (a >> 96 == 0x0064FF9B && ((a >> 32) & 0xFFFFFFFFFFFFFFFF) == 0)
        {
            return TransportAddress.FromIPv4(low32, address.Port); // NAT64 well-known prefix 64:ff9b::/96 (RFC 6052)
        }

        if (a >> 112 == 0x2002)
        {
            return TransportAddress.FromIPv4((uint)(a >> 80), address.Port); // 6to4 2002:AABB:CCDD::/48 (RFC 3056)
        }

        if (a >> 96 == 0x20010000)
        {
            return TransportAddress.FromIPv4(~low32, address.Port); // Teredo 2001::/32: client address inverted in the low bits (RFC 4380)
        }

        return address;
    }

    private static bool IsIn(Cidr[] ranges, TransportAddress address)
    {
        foreach (var range in ranges)
        {
            if (range.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>An address range in numeric form.</summary>
    internal readonly record struct Cidr(UInt128 Network, int PrefixLength, bool IsIPv6)
    {
        public bool Contains(TransportAddress address)
        {
            if (address.IsIPv6 != IsIPv6)
            {
                return false;
            }

            var bits = IsIPv6 ? 128 : 32;
            if (PrefixLength == 0)
            {
                return true;
            }

            return address.Address >> (bits - PrefixLength) == Network >> (bits - PrefixLength);
        }

        /// <summary>Parses <c>a.b.c.d/n</c>, <c>x::y/n</c> or a bare address (a host range).</summary>
        public static Cidr Parse(string text)
        {
            ArgumentNullException.ThrowIfNull(text);
            var slash = text.IndexOf('/', StringComparison.Ordinal);
            var addressText = slash < 0 ? text : text[..slash];
            if (!IPAddress.TryParse(addressText.Trim(), out var ip))
            {
                throw new FormatException($"'{text}' is not an IP address range (CIDR).");
            }

            var address = TransportAddress.From(ip, 0);
            var max = ip.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
            var prefix = max;
            if (slash >= 0 && (!int.TryParse(text[(slash + 1)..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > max))
            {
                throw new FormatException($"'{text}' has an invalid prefix length.");
            }

            return new Cidr(address.Address, prefix, address.IsIPv6);
        }

        public static bool TryParse(string text)
        {
            try
            {
                Parse(text);
                return true;
            }
            catch (FormatException)
            {
                return false;
            }
        }
    }
}
