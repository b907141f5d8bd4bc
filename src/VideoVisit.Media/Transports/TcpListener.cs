using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Net.Sockets;
using VideoVisit.Media.Turn;

namespace VideoVisit.Media.Transports;

/// <summary>
/// A client-facing stream listener: plain TCP, or TLS over TCP (<c>turns:</c>) when given a
/// certificate source. It admits a connection through the relay's <see cref="ConnectionGate"/>,
/// completes the TLS handshake within <c>Turn:TlsHandshakeTimeoutSeconds</c> (a slow or stalled
/// handshake is closed and counted), and hands the stream to <see cref="StreamClients"/>.
/// </summary>
internal sealed class TurnTcpListener : IDisposable
{
    private readonly Socket _socket;
    private readonly TurnServer _server;
    private readonly StreamClients _clients;
    private readonly TlsCertificateSource? _tls;
    private readonly CancellationTokenSource _stop = new();
    private int _disposed;

    public TurnTcpListener(TurnServer server, IPEndPoint endPoint, TlsCertificateSource? tls = null)
    {
        _server = server;
        _clients = server.Streams;
        _tls = tls;
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

    public int Connections => _clients.Gate.Count;

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

            IPEndPoint remote;
            try
            {
                remote = (IPEndPoint)client.RemoteEndPoint!;
            }
            catch (SocketException)
            {
                client.Dispose();
                continue;
            }

            if (!_clients.Gate.TryEnter(remote.Address))
            {
                client.Dispose();
                _server.Counters.Drop(TurnDropReason.ConnectionLimit);
                continue;
            }

            client.NoDelay = true;
            _ = RunConnectionAsync(client, remote);
        }
    }

    private async Task RunConnectionAsync(Socket socket, IPEndPoint remote)
    {
        try
        {
            var local = (IPEndPoint)socket.LocalEndPoint!;
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            CorkedStream? corked = null;
            if (_tls is not null)
            {
                corked = new CorkedStream(stream);
                var ssl = new SslStream(corked, leaveInnerStreamOpen: false);
                stream = ssl;
                using var handshake = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                handshake.CancelAfter(TimeSpan.FromSeconds(_server.Options.TlsHandshakeTimeoutSeconds));
                try
                {
                    await ssl.AuthenticateAsServerAsync(_tls.ServerOptions(), handshake.Token);
                }
                catch (Exception e) when (e is IOException or AuthenticationException or OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    _server.Counters.Drop(TurnDropReason.TlsHandshakeFailed);
                    await ssl.DisposeAsync();
                    return;
                }
            }

            await using (stream)
            {
                await _clients.RunAsync(stream, _tls is null ? ClientTransport.Tcp : ClientTransport.Tls, remote, local, corked, _stop.Token);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            socket.Dispose();
        }
        finally
        {
            _clients.Gate.Leave(remote.Address);
        }
    }
}
