using System.Net;

namespace VideoVisit.Media.Transports;

/// <summary>
/// Admission of stream (TCP and TLS) client connections: at most <c>Turn:MaxTcpConnections</c> in
/// all and <c>Turn:MaxTcpConnectionsPerSource</c> from one IP address, so one address cannot take
/// every slot. Shared by every stream listener of a relay, including the HTTPS port in one-port mode.
/// </summary>
internal sealed class ConnectionGate(int maxTotal, int maxPerSource)
{
    private readonly Dictionary<IPAddress, int> _perSource = [];
    private readonly Lock _lock = new();
    private int _total;

    /// <summary>Connections admitted and not yet left.</summary>
    public int Count => Volatile.Read(ref _total);

    /// <summary>Admits a connection from <paramref name="source"/>; false when a limit is reached.</summary>
    public bool TryEnter(IPAddress source)
    {
        source = Normalize(source);
        lock (_lock)
        {
            _perSource.TryGetValue(source, out var mine);
            if (_total >= maxTotal || mine >= maxPerSource)
            {
                return false;
            }

            _total++;
            _perSource[source] = mine + 1;
            return true;
        }
    }

    /// <summary>A connection admitted by <see cref="TryEnter"/> closed.</summary>
    public void Leave(IPAddress source)
    {
        source = Normalize(source);
        lock (_lock)
        {
            _total--;
            if (_perSource.TryGetValue(source, out var mine) && mine > 1)
            {
                _perSource[source] = mine - 1;
            }
            else
            {
                _perSource.Remove(source);
            }
        }
    }

    // A dual-mode socket reports IPv4 clients as ::ffff:a.b.c.d; count them with the plain IPv4 address.
    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
