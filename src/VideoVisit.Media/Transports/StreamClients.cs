using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using VideoVisit.Media.Stun;
using VideoVisit.Media.Turn;

namespace VideoVisit.Media.Transports;

/// <summary>
/// The stream (TCP and TLS) clients of one relay, whichever listener accepted them: the connection
/// gate, and a once-a-second sweep that closes a connection silent for <c>Turn:TcpIdleTimeoutSeconds</c>
/// while it holds no allocation (a connection with an allocation lives as long as the allocation:
/// RFC 8656 §5). Each connection's byte stream is framed into STUN and ChannelData messages
/// (RFC 8656 §12.5) and dispatched; a stream that cannot be framed is closed and counted, and closing
/// the connection deletes its allocation.
/// </summary>
internal sealed class StreamClients : IDisposable
{
    private readonly TurnServer _server;
    private readonly long _idleTicks;
    private readonly ConcurrentDictionary<StreamClient, byte> _open = new();
    private readonly ITimer _sweep;

    public StreamClients(TurnServer server)
    {
        _server = server;
        var options = server.Options;
        Gate = new ConnectionGate(options.MaxTcpConnections, options.MaxTcpConnectionsPerSource);
        _idleTicks = (long)(options.TcpIdleTimeoutSeconds * (double)server.Time.TimestampFrequency);
        _sweep = server.Time.CreateTimer(_ => SweepIdle(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    public ConnectionGate Gate { get; }

    /// <summary>Connections being served now (after their TLS handshake, if any).</summary>
    public int Open => _open.Count;

    /// <summary>TLS connections served since start (after a completed handshake).</summary>
    public long TlsServed => Interlocked.Read(ref _tlsServed);

    private long _tlsServed;

    /// <summary>Closes the connections that stayed silent too long without an allocation. The timer calls it; tests may too.</summary>
    public void SweepIdle()
    {
        var now = _server.Time.GetTimestamp();
        foreach (var (client, _) in _open)
        {
            // The timer and a caller may sweep at once: a connection is closed, and counted, once.
            if (now - client.LastReceived > _idleTicks && !_server.Allocations.TryGet(client.Tuple, out _) && client.Close())
            {
                _server.Counters.Drop(TurnDropReason.ConnectionIdle);
            }
        }
    }

    /// <summary>Serves one client stream until it closes, <paramref name="stop"/> fires, or the idle sweep closes it.</summary>
    /// <remarks><paramref name="corked"/>: the stream under a TLS stream this relay made, to send a burst of messages with one call.</remarks>
    public async Task RunAsync(Stream stream, ClientTransport transport, IPEndPoint remote, IPEndPoint local, CorkedStream? corked, CancellationToken stop)
    {
        var tuple = new FiveTuple(transport, TransportAddress.From(Canonical(remote)), TransportAddress.From(Canonical(local)));
        if (transport == ClientTransport.Tls)
        {
            Interlocked.Increment(ref _tlsServed);
        }

        using var client = new StreamClient(stream, tuple, _server, corked, stop);
        _open.TryAdd(client, 0);
        var buffer = new byte[4096];
        var filled = 0;
        try
        {
            while (!client.Closing.IsCancellationRequested)
            {
                if (filled == buffer.Length)
                {
                    if (buffer.Length >= TcpFraming.MaxFrame)
                    {
                        break;
                    }

                    Array.Resize(ref buffer, Math.Min(TcpFraming.MaxFrame, buffer.Length * 4));
                }

                var read = await stream.ReadAsync(buffer.AsMemory(filled), client.Closing);
                if (read == 0)
                {
                    break;
                }

                client.LastReceived = _server.Time.GetTimestamp();
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

                    _server.HandleClientPacket(buffer.AsSpan(consumed, length), tuple, client);
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
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // the client went away, the idle sweep closed it, or the relay stopped
        }
        finally
        {
            _open.TryRemove(client, out _);
            _server.ClientClosed(tuple);
        }
    }

    private static IPEndPoint Canonical(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;

    public void Dispose()
    {
        _sweep.Dispose();
        foreach (var (client, _) in _open)
        {
            client.Close();
        }
    }

    /// <summary>
    /// One stream client. Sends never block the caller (which may be a socket completion running
    /// inline): packets are copied into a bounded queue that one writer drains; when a client stops
    /// reading and the queue is full, its packets are dropped, as UDP would lose them.
    /// </summary>
    private sealed class StreamClient : IClientSink, IDisposable
    {
        private const int MaxQueued = 512;
        private readonly Stream _stream;
        private readonly CorkedStream? _corked;
        private readonly TurnCounters _counters;
        private readonly CancellationTokenSource _closing;
        private readonly Channel<(byte[] Buffer, int Length)> _queue =
            Channel.CreateBounded<(byte[], int)>(new BoundedChannelOptions(MaxQueued) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

        public StreamClient(Stream stream, FiveTuple tuple, TurnServer server, CorkedStream? corked, CancellationToken stop)
        {
            _stream = stream;
            _corked = corked;
            Tuple = tuple;
            _counters = server.Counters;
            _closing = CancellationTokenSource.CreateLinkedTokenSource(stop);
            LastReceived = server.Time.GetTimestamp();
            _ = WriteLoopAsync();
        }

        public FiveTuple Tuple { get; }

        public CancellationToken Closing => _closing.Token;

        public long LastReceived { get; set; }

        public bool IsStream => true;

        public void Send(ReadOnlySpan<byte> packet)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(packet.Length);
            packet.CopyTo(buffer);
            if (!_queue.Writer.TryWrite((buffer, packet.Length)))
            {
                ArrayPool<byte>.Shared.Return(buffer);
                _counters.Drop(TurnDropReason.SendFailed);
            }
        }

        public IClientSink Persist() => this;

        private int _closed;

        /// <summary>Stops the connection: the read loop ends and the stream is closed. True the first time only.</summary>
        public bool Close()
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0)
            {
                return false;
            }

            try
            {
                _closing.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }

            _stream.Dispose();
            return true;
        }

        /// <summary>
        /// Writes what is queued, one message at a time. Over a TLS stream of this relay's own, the
        /// messages waiting are written corked: one TLS record each, one send call for all of them.
        /// </summary>
        private async Task WriteLoopAsync()
        {
            var reader = _queue.Reader;
            try
            {
                while (await reader.WaitToReadAsync())
                {
                    _corked?.Cork();
                    try
                    {
                        while (reader.TryRead(out var next))
                        {
                            try
                            {
                                await _stream.WriteAsync(next.Buffer.AsMemory(0, next.Length));
                            }
                            finally
                            {
                                ArrayPool<byte>.Shared.Return(next.Buffer);
                            }

                            if (_corked is null)
                            {
                                await _stream.FlushAsync();
                            }
                        }
                    }
                    finally
                    {
                        if (_corked is not null)
                        {
                            await _corked.UncorkAsync();
                        }
                    }

                    await _stream.FlushAsync();
                }
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException or NotSupportedException or InvalidOperationException)
            {
                // The receive loop sees the broken connection and cleans up.
            }
        }

        public void Dispose()
        {
            _queue.Writer.TryComplete();
            _stream.Dispose();
            _closing.Dispose();
        }
    }
}
