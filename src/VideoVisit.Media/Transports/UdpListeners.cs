using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using VideoVisit.Media.Turn;

namespace VideoVisit.Media.Transports;

/// <summary>
/// The UDP listeners of a relay. On a specific address, one. On the IPv4 wildcard, one per local
/// IPv4 address (as coturn does when given no listening address): a UDP socket bound to 0.0.0.0 is
/// not told which address a datagram was sent to and answers from whatever source address the
/// routing table picks, so a client on this machine that sent from its LAN address to 127.0.0.1 got
/// its answer from the LAN address and dropped it, and the 5-tuple's server address was 0.0.0.0
/// (the relayed address then fell back to the primary interface, unlike over TCP). Bound per
/// address, each socket answers from the address it was reached on, and the 5-tuple names it.
/// Addresses added to the machine after start are not listened on (restart the relay).
/// </summary>
internal sealed class UdpListeners : IDisposable
{
    private readonly List<UdpListener> _listeners = [];

    public UdpListeners(TurnServer server, IPEndPoint endPoint)
    {
        if (!endPoint.Address.Equals(IPAddress.Any))
        {
            _listeners.Add(new UdpListener(server, endPoint));
            LocalEndPoint = _listeners[0].LocalEndPoint;
            return;
        }

        var port = endPoint.Port;
        try
        {
            foreach (var address in LocalIPv4Addresses())
            {
                var listener = new UdpListener(server, new IPEndPoint(address, port));
                _listeners.Add(listener);
                port = listener.LocalEndPoint.Port;
            }
        }
        catch
        {
            Dispose();
            throw;
        }

        LocalEndPoint = new IPEndPoint(IPAddress.Any, port);
    }

    /// <summary>The wildcard (or the one address) and the port every listener shares.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The addresses listened on.</summary>
    public IReadOnlyList<IPEndPoint> EndPoints => [.. _listeners.Select(l => l.LocalEndPoint)];

    public void Start() => _listeners.ForEach(l => l.Start());

    public void Dispose() => _listeners.ForEach(l => l.Dispose());

    private static List<IPAddress> LocalIPv4Addresses()
    {
        var addresses = NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.OperationalStatus is OperationalStatus.Up or OperationalStatus.Unknown)
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork)
            .Distinct()
            .ToList();
        if (!addresses.Contains(IPAddress.Loopback))
        {
            addresses.Insert(0, IPAddress.Loopback);
        }

        return addresses;
    }
}
