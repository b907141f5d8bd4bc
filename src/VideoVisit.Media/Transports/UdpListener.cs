using System.Net;
using System.Net.Sockets;
using VideoVisit.Media.Stun;
using VideoVisit.Media.Turn;

namespace VideoVisit.Media.Transports;

/// <summary>
/// The client-facing UDP socket: a dedicated thread reads datagrams with blocking calls (the
/// cheapest receive path in .NET) and hands each to the dispatcher. One thread keeps every
/// client's packets in order.
/// </summary>
internal sealed class UdpListener : IDisposable, LinuxEventLoop.IReadable
{
    private readonly Socket _socket;
    private readonly TurnServer _server;
    private readonly TransportAddress _local;
    private readonly Thread _thread;
    private volatile bool _stopped;

    public UdpListener(TurnServer server, IPEndPoint endPoint)
    {
        _server = server;
        _socket = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
        {
            _socket.DualMode = true;
        }

        _socket.ReceiveBufferSize = 4 * 1024 * 1024;
        _socket.SendBufferSize = 4 * 1024 * 1024;
        _socket.ReceiveTimeout = 500; // lets the thread notice a stop even where close does not wake a blocked receive
        _socket.Bind(endPoint);
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _local = TransportAddress.From(LocalEndPoint);
        _thread = new Thread(Run) { IsBackground = true, Name = "turn-udp-" + LocalEndPoint.Port };
    }

    public IPEndPoint LocalEndPoint { get; }

    public void Start()
    {
        if (_server.Loop is { } loop)
        {
            _loopSink = new UdpClientSink(_socket, _loopAddress, nativeSend: true);
            loop.Register(_socket, this);
        }
        else
        {
            _thread.Start();
        }
    }

    private readonly SocketAddress _loopAddress = new(AddressFamily.InterNetworkV6);
    private UdpClientSink? _loopSink;

    /// <summary>Event-loop mode: drain the datagrams waiting on the listener.</summary>
    public void OnReadable(LinuxEventLoop loop)
    {
        var buffer = loop.Buffer.AsSpan(0, 65536);
        for (var i = 0; i < LinuxEventLoop.DrainBudget; i++)
        {
            var received = LinuxEventLoop.TryReceive(_socket.SafeHandle, buffer, _loopAddress);
            if (received == -1)
            {
                return;
            }

            if (received < 0 || received > buffer.Length || !TransportAddress.TryFrom(_loopAddress, out var client))
            {
                continue;
            }

            _server.HandleClientPacket(buffer[..received], new FiveTuple(ClientTransport.Udp, client, _local), _loopSink!);
        }
    }

    public void Dispose()
    {
        _stopped = true;
        _server.Loop?.Unregister(_socket, this);
        _socket.Dispose();
        if (_thread.IsAlive && Thread.CurrentThread != _thread)
        {
            _thread.Join(TimeSpan.FromSeconds(2));
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
        public bool IsStream => false;

        public void Send(ReadOnlySpan<byte> packet)
        {
            if (nativeSend)
            {
                LinuxEventLoop.TrySend(socket.SafeHandle, packet, address); // UDP: a full buffer loses this packet only
                return;
            }

            try
            {
                socket.SendTo(packet, SocketFlags.None, address);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // UDP is lossy by contract; a full buffer or a closed listener loses this packet only.
            }
        }

        public IClientSink Persist()
        {
            var copy = new SocketAddress(address.Family, address.Size);
            address.Buffer.Span[..address.Size].CopyTo(copy.Buffer.Span);
            return new UdpClientSink(socket, copy, nativeSend);
        }
    }
}
