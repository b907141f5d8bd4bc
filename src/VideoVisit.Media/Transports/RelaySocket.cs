using System.Net;
using System.Net.Sockets;
using VideoVisit.Media.Turn;

namespace VideoVisit.Media.Transports;

/// <summary>
/// The UDP socket behind one relayed transport address. One receive loop per allocation reads
/// peer datagrams into a buffer with headroom in front, so the ChannelData or Data indication
/// header is written in place and the datagram is forwarded without a copy.
/// </summary>
internal sealed class RelaySocket : IDisposable, LinuxEventLoop.IReadable
{
    /// <summary>Room for the largest header written in front of peer data: a Data indication with an IPv6 XOR-PEER-ADDRESS.</summary>
    public const int Headroom = 48;

    /// <summary>Larger peer datagrams cannot reach a client over UDP anyway and are dropped.</summary>
    public const int MaxDatagram = 2048;

    private readonly Socket _socket;
    private byte[]? _buffer;
    private int _disposed;
    private TurnServer? _server;
    private Allocation? _allocation;
    private LinuxEventLoop? _loop;

    private RelaySocket(Socket socket)
    {
        _socket = socket;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>
    /// Binds a socket on <paramref name="bindAddress"/>: an ephemeral port, or a random free port in
    /// [<paramref name="portMin"/>, <paramref name="portMax"/>] when a range is configured. Null when
    /// no port could be bound (the caller answers 508).
    /// </summary>
    public static RelaySocket? TryCreate(IPAddress bindAddress, int portMin, int portMax, bool dontFragment)
    {
        var attempts = portMin > 0 && portMax >= portMin ? Math.Min(64, portMax - portMin + 1) : 1;
        for (var i = 0; i < attempts; i++)
        {
            var port = portMin > 0 && portMax >= portMin ? Random.Shared.Next(portMin, portMax + 1) : 0;
            var socket = new Socket(bindAddress.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                if (dontFragment && bindAddress.AddressFamily == AddressFamily.InterNetwork)
                {
                    socket.DontFragment = true; // RFC 8656 §7.2: DONT-FRAGMENT asks for DF on relayed datagrams
                }

                socket.Bind(new IPEndPoint(bindAddress, port));
                return new RelaySocket(socket);
            }
            catch (SocketException)
            {
                socket.Dispose();
            }
        }

        return null;
    }

    /// <summary>
    /// Binds an even port (EVEN-PORT, RFC 8656 §7.2), and with <paramref name="reserveNext"/> the odd
    /// port above it too, returned unstarted for a later Allocate with the reservation token.
    /// </summary>
    public static RelaySocket? TryCreateEven(IPAddress bindAddress, int portMin, int portMax, bool dontFragment, bool reserveNext, out RelaySocket? next)
    {
        next = null;
        if (portMin == 0)
        {
            (portMin, portMax) = (49152, 65535); // the IANA dynamic range, as coturn uses
        }

        for (var attempt = 0; attempt < 64; attempt++)
        {
            var port = Random.Shared.Next(portMin, portMax) & ~1;
            if (port < portMin || (reserveNext && port + 1 > portMax))
            {
                continue;
            }

            var even = TryCreate(bindAddress, port, port, dontFragment);
            if (even is null)
            {
                continue;
            }

            if (!reserveNext)
            {
                return even;
            }

            next = TryCreate(bindAddress, port + 1, port + 1, dontFragment);
            if (next is not null)
            {
                return even;
            }

            even.Dispose();
        }

        return null;
    }

    public void Start(TurnServer server, Allocation allocation)
    {
        _server = server;
        _allocation = allocation;
        if (server.PickLoop() is { } loop)
        {
            _loop = loop;
            loop.Register(_socket, this);
        }
        else
        {
            _buffer = GC.AllocateUninitializedArray<byte>(Headroom + MaxDatagram + 4);
            _ = ReceiveLoopAsync(server, allocation);
        }
    }

    /// <summary>Event-loop mode: relay the datagrams peers sent, read in batches into the loop's slots.</summary>
    public void OnReadable(LinuxEventLoop loop)
    {
        for (var batch = 0; batch < LinuxEventLoop.DrainBudget; batch++)
        {
            var received = loop.ReceiveBatch(_socket.SafeHandle);
            for (var i = 0; i < received; i++)
            {
                var slot = loop.Slots[i];
                if (!slot.Truncated && slot.Length <= MaxDatagram)
                {
                    _server!.HandlePeerPacket(_allocation!, slot.Buffer, slot.Length, slot.Source);
                }
            }

            if (received < LinuxEventLoop.BatchSize)
            {
                return;
            }
        }
    }

    public bool SendTo(ReadOnlySpan<byte> data, SocketAddress peer)
    {
        if (_loop is not null)
        {
            return LinuxEventLoop.TrySend(_socket.SafeHandle, data, peer); // event-loop mode: the socket is non-blocking
        }

        try
        {
            _socket.SendTo(data, SocketFlags.None, peer);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _loop?.Unregister(_socket, this);
            _socket.Dispose();
        }
    }

    private async Task ReceiveLoopAsync(TurnServer server, Allocation allocation)
    {
        var peer = new SocketAddress(_socket.AddressFamily);
        var buffer = _buffer!;
        var memory = buffer.AsMemory(Headroom, MaxDatagram);
        while (Volatile.Read(ref _disposed) == 0)
        {
            int received;
            try
            {
                received = await _socket.ReceiveFromAsync(memory, SocketFlags.None, peer);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
            {
                continue; // an ICMP error from a peer, or a datagram too large to relay
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            server.HandlePeerPacket(allocation, buffer, received, peer);
        }
    }
}
