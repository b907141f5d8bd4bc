using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using VideoVisit.Media.Stun;
using VideoVisit.Media.Turn;

namespace VideoVisit.Media.Transports;

/// <summary>
/// The client-facing TCP listener: each connection is one 5-tuple; its byte stream is framed into
/// STUN and ChannelData messages and dispatched. A stream that cannot be framed is closed (and
/// counted); closing the connection deletes its allocation (RFC 8656 §5).
/// </summary>
internal sealed class TurnTcpListener : IDisposable
{
    private readonly Socket _socket;
    private readonly TurnServer _server;
    private readonly int _maxConnections;
    private readonly CancellationTokenSource _stop = new();
    private int _connections;
    private int _disposed;

    public TurnTcpListener(TurnServer server, IPEndPoint endPoint, int maxConnections)
    {
        _server = server;
        _maxConnections = maxConnections;
        _socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
        {
            _socket.DualMode = true;
        }

        if (OperatingSystem.IsLinux())
        {
            // SO_REUSEADDR alone (restart despite TIME_WAIT). .NET's ReuseAddress also sets SO_REUSEPORT
            // on Linux, which would let a second relay bind the same port; this listener must be exclusive,
            // since it is what keeps a second relay off the UDP port too (bound with SO_REUSEPORT per loop).
            _socket.SetRawSocketOption(1, 2, BitConverter.GetBytes(1));
        }
        _socket.Bind(endPoint);
        _socket.Listen(512);
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    public IPEndPoint LocalEndPoint { get; }

    public int Connections => Volatile.Read(ref _connections);

    public void Start() => _ = AcceptLoopAsync();

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // The token source is cancelled, not disposed: connection loops still read its token.
            _stop.Cancel();
            _socket.Dispose();
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _socket.AcceptAsync(_stop.Token);
            }
            catch (SocketException)
            {
                continue;
            }
            catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            if (Interlocked.Increment(ref _connections) > _maxConnections)
            {
                Interlocked.Decrement(ref _connections);
                client.Dispose();
                _server.Counters.Drop(TurnDropReason.RateLimited);
                continue;
            }

            client.NoDelay = true;
            _ = RunConnectionAsync(client);
        }
    }

    private async Task RunConnectionAsync(Socket socket)
    {
        using var connection = new TcpClientConnection(socket, _server.Counters);
        var tuple = new FiveTuple(
            ClientTransport.Tcp,
            TransportAddress.From((IPEndPoint)socket.RemoteEndPoint!),
            TransportAddress.From((IPEndPoint)socket.LocalEndPoint!));
        var buffer = new byte[4096];
        var filled = 0;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                if (filled == buffer.Length)
                {
                    if (buffer.Length >= TcpFraming.MaxFrame)
                    {
                        break;
                    }

                    Array.Resize(ref buffer, Math.Min(TcpFraming.MaxFrame, buffer.Length * 4));
                }

                var read = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    break;
                }

                filled += read;
                var consumed = 0;
                var invalid = false;
                while (true)
                {
                    var frame = TcpFraming.Next(buffer.AsSpan(consumed, filled - consumed), out var length);
                    if (frame == TcpFraming.Frame.Incomplete)
                    {
                        break;
                    }

                    if (frame == TcpFraming.Frame.Invalid)
                    {
                        invalid = true;
                        break;
                    }

                    _server.HandleClientPacket(buffer.AsSpan(consumed, length), tuple, connection);
                    consumed += length;
                }

                if (invalid)
                {
                    _server.Counters.Drop(TurnDropReason.Malformed);
                    break;
                }

                if (consumed > 0)
                {
                    buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                    filled -= consumed;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // the peer went away or the listener stopped
        }
        finally
        {
            Interlocked.Decrement(ref _connections);
            _server.ClientClosed(tuple);
        }
    }

    /// <summary>
    /// A TCP client. Sends never block the caller (which may be a socket completion running inline):
    /// packets are copied into a bounded queue that one writer drains; when a client stops reading
    /// and the queue is full, its packets are dropped, as UDP would lose them.
    /// </summary>
    private sealed class TcpClientConnection : IClientSink, IDisposable
    {
        private const int MaxQueued = 512;
        private readonly Socket _socket;
        private readonly Channel<(byte[] Buffer, int Length)> _queue =
            Channel.CreateBounded<(byte[], int)>(new BoundedChannelOptions(MaxQueued) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

        public TcpClientConnection(Socket socket, TurnCounters counters)
        {
            _socket = socket;
            Counters = counters;
            _ = WriteLoopAsync();
        }

        private TurnCounters Counters { get; }

        public bool IsStream => true;

        public void Send(ReadOnlySpan<byte> packet)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(packet.Length);
            packet.CopyTo(buffer);
            if (!_queue.Writer.TryWrite((buffer, packet.Length)))
            {
                ArrayPool<byte>.Shared.Return(buffer);
                Counters.Drop(TurnDropReason.SendFailed);
            }
        }

        public IClientSink Persist() => this;

        private async Task WriteLoopAsync()
        {
            try
            {
                await foreach (var (buffer, length) in _queue.Reader.ReadAllAsync())
                {
                    try
                    {
                        await _socket.SendAsync(buffer.AsMemory(0, length), SocketFlags.None);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                    }
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // The receive loop sees the broken connection and cleans up.
            }
        }

        public void Dispose()
        {
            _queue.Writer.TryComplete();
            _socket.Dispose();
        }
    }
}
