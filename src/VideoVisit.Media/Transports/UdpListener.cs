using System.Net;
using System.Net.Sockets;
using VideoVisit.Media.Stun;
using VideoVisit.Media.Turn;

namespace VideoVisit.Media.Transports;

/// <summary>
/// The client-facing UDP port. On Linux x64 there is one socket per event loop, all bound to the
/// same port with SO_REUSEPORT: the kernel hashes each client's address to one of them, so a
/// client's packets — and its allocation's relay socket — stay on one loop thread, in order, while
/// the loops share the cores. Elsewhere one socket is read by a dedicated thread with blocking calls.
/// </summary>
internal sealed class UdpListener : IDisposable
{
    private const int SolSocket = 1;
    private const int SoReusePort = 15;

    private readonly Socket _socket;
    private readonly List<LoopSocket> _loopSockets = [];
    private readonly TurnServer _server;
    private readonly TransportAddress _local;
    private readonly Thread _thread;
    private volatile bool _stopped;

    public UdpListener(TurnServer server, IPEndPoint endPoint)
    {
        _server = server;
        var loops = server.Loops;
        _socket = CreateSocket(endPoint, reusePort: loops.Length > 1);
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _local = TransportAddress.From(LocalEndPoint);
        _thread = new Thread(Run) { IsBackground = true, Name = "turn-udp-" + LocalEndPoint.Port };
        if (loops.Length > 0)
        {
            _loopSockets.Add(new LoopSocket(this, _socket, loops[0]));
            for (var i = 1; i < loops.Length; i++)
            {
                _loopSockets.Add(new LoopSocket(this, CreateSocket(LocalEndPoint, reusePort: true), loops[i]));
            }
        }
        else
        {
            _socket.ReceiveTimeout = 500; // lets the thread notice a stop even where close does not wake a blocked receive
        }
    }

    public IPEndPoint LocalEndPoint { get; }

    private static Socket CreateSocket(IPEndPoint endPoint, bool reusePort)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = true;
            }

            if (reusePort)
            {
                socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
            }

            socket.ReceiveBufferSize = 4 * 1024 * 1024;
            socket.SendBufferSize = 4 * 1024 * 1024;
            socket.Bind(endPoint);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Start()
    {
        if (_loopSockets.Count > 0)
        {
            foreach (var loopSocket in _loopSockets)
            {
                loopSocket.Start();
            }
        }
        else
        {
            _thread.Start();
        }
    }

    public void Dispose()
    {
        _stopped = true;
        foreach (var loopSocket in _loopSockets)
        {
            loopSocket.Dispose();
        }

        _socket.Dispose();
        if (_thread.IsAlive && Thread.CurrentThread != _thread)
        {
            _thread.Join(TimeSpan.FromSeconds(2));
        }
    }

    /// <summary>Event-loop mode: one of the listener's sockets, drained by its loop.</summary>
    private sealed class LoopSocket(UdpListener listener, Socket socket, LinuxEventLoop loop) : LinuxEventLoop.IReadable, IDisposable
    {
        private UdpClientSink? _sink;

        public void Start()
        {
            _sink = new UdpClientSink(socket, new SocketAddress(AddressFamily.InterNetworkV6), nativeSend: true);
            loop.Register(socket, this);
        }

        public void OnReadable(LinuxEventLoop loop)
        {
            for (var batch = 0; batch < LinuxEventLoop.DrainBudget; batch++)
            {
                var received = loop.ReceiveBatch(socket.SafeHandle);
                for (var i = 0; i < received; i++)
                {
                    var slot = loop.Slots[i];
                    if (slot.Truncated || !TransportAddress.TryFrom(slot.Source, out var client))
                    {
                        listener._server.Counters.Drop(TurnDropReason.Malformed);
                        continue;
                    }

                    // Replies go to this datagram's source: the sink follows the slot's address.
                    _sink!.Address = slot.Source;
                    listener._server.HandleClientPacket(slot.Buffer.AsSpan(LinuxEventLoop.SlotHeadroom, slot.Length), new FiveTuple(ClientTransport.Udp, client, listener._local), _sink);
                }

                if (received < LinuxEventLoop.BatchSize)
                {
                    return;
                }
            }
        }

        public void Dispose()
        {
            loop.Unregister(socket, this);
            socket.Dispose();
        }
    }

    private void Run()
    {
        var from = new SocketAddress(_socket.AddressFamily);
        var buffer = GC.AllocateUninitializedArray<byte>(65536);
        var sink = new UdpClientSink(_socket, from);
        while (!_stopped)
        {
            int received;
            try
            {
                received = _socket.ReceiveFrom(buffer, SocketFlags.None, from);
            }
            catch (SocketException e) when (!_stopped && e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock
                or SocketError.ConnectionReset or SocketError.MessageSize or SocketError.Interrupted)
            {
                continue;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            if (!TransportAddress.TryFrom(from, out var client))
            {
                continue;
            }

            _server.HandleClientPacket(buffer.AsSpan(0, received), new FiveTuple(ClientTransport.Udp, client, _local), sink);
        }
    }

    /// <summary>Replies to one UDP source. The listener's instance follows its receive address; <see cref="Persist"/> copies it.</summary>
    private sealed class UdpClientSink(Socket socket, SocketAddress address, bool nativeSend = false) : IClientSink
    {
        /// <summary>Where replies go; the event loop points its per-socket sink at each datagram's source in turn.</summary>
        public SocketAddress Address { get; set; } = address;

        public bool IsStream => false;

        public void Send(ReadOnlySpan<byte> packet)
        {
            if (nativeSend)
            {
                LinuxEventLoop.TrySend(socket.SafeHandle, packet, Address); // UDP: a full buffer loses this packet only
                return;
            }

            try
            {
                socket.SendTo(packet, SocketFlags.None, Address);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // UDP is lossy by contract; a full buffer or a closed listener loses this packet only.
            }
        }

        public IClientSink Persist()
        {
            var copy = new SocketAddress(Address.Family, Address.Size);
            Address.Buffer.Span[..Address.Size].CopyTo(copy.Buffer.Span);
            return new UdpClientSink(socket, copy, nativeSend);
        }
    }
}
