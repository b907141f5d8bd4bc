using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VideoVisit.Media.Transports;
using VideoVisit.Media.Turn;

namespace VideoVisit.Media.Hosting;

/// <summary>
/// Runs the relay inside a host: UDP and TCP listeners on <c>Turn:ListenAddress</c>:<c>Turn:ListenPort</c>
/// and a once-a-second sweep of expired allocations, permissions and channels. A port that cannot be
/// bound does not take the host down (the web app still serves peer-to-peer calls): the relay
/// reports Failed and <c>/readyz</c> says so.
/// </summary>
internal sealed class TurnRelayService : IHostedService, IDisposable
{
    private readonly TurnOptions _options;
    private readonly TimeProvider _time;
    private readonly TurnRelayStatus _status;
    private readonly ILogger<TurnRelayService> _log;
    private TurnServer? _server;
    private UdpListeners? _udp;
    private TurnTcpListener? _tcp;
    private TurnTcpListener? _tls;
    private ITimer? _sweep;

    public TurnRelayService(IOptions<TurnOptions> options, TimeProvider time, TurnRelayStatus status, ILogger<TurnRelayService> log, GeneratedTurnSecret generated)
    {
        _options = options.Value;
        if (generated.Used)
        {
            TurnLog.GeneratedSecret(log);
        }

        _time = time;
        _status = status;
        _log = log;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            _status.SetDisabled();
            return Task.CompletedTask;
        }

        var secret = _options.SharedSecret;
        _server = new TurnServer(_options, () => secret, _time, _log);
        var address = IPAddress.Parse(_options.ListenAddress);
        try
        {
            (_udp, _tcp) = OpenListeners(_server, address, _options.ListenPort, _options.MaxTcpConnections);
        }
        catch (SocketException e)
        {
            var failure = $"Turn:ListenPort {_options.ListenPort} on Turn:ListenAddress {_options.ListenAddress} could not be opened: {e.SocketErrorCode}";
            RelayHostLog.StartFailed(_log, failure, e);
            _status.SetFailed(failure);
            return Task.CompletedTask;
        }

        if (_options.TlsPort is { } tlsPort && !_options.OnePort)
        {
            try
            {
                var certificate = new TlsCertificateSource(_options.CertificatePath, _options.KeyPath);
                _tls = new TurnTcpListener(_server, new IPEndPoint(address, tlsPort), certificate);
            }
            catch (Exception e) when (e is SocketException or InvalidOperationException)
            {
                var failure = e is SocketException socket
                    ? $"Turn:TlsPort {tlsPort} on Turn:ListenAddress {_options.ListenAddress} could not be opened: {socket.SocketErrorCode}"
                    : e.Message;
                RelayHostLog.StartFailed(_log, failure, e);
                _status.SetFailed(failure);
                Dispose();
                return Task.CompletedTask;
            }
        }

        _udp.Start();
        _tcp.Start();
        _tls?.Start();
        _sweep = _time.CreateTimer(_ => _server.Sweep(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        _status.SetReady(_server, _udp.LocalEndPoint, _tcp.LocalEndPoint, _tls?.LocalEndPoint);
        TurnLog.Listening(_log, _udp.LocalEndPoint, _tcp.LocalEndPoint, _options.Realm);
        if (_tls is not null)
        {
            TurnLog.ListeningTls(_log, _tls.LocalEndPoint);
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// TCP first: its exclusive bind is what keeps a second relay off the port (the UDP sockets share
    /// the port between event loops with SO_REUSEPORT). With port 0 the UDP listener takes the port
    /// TCP got, retrying if UDP's is taken.
    /// </summary>
    private static (UdpListeners, TurnTcpListener) OpenListeners(TurnServer server, IPAddress address, int port, int maxTcp)
    {
        for (var attempt = 0; ; attempt++)
        {
            var tcp = new TurnTcpListener(server, new IPEndPoint(address, port));
            try
            {
                var udp = new UdpListeners(server, new IPEndPoint(address, tcp.LocalEndPoint.Port));
                return (udp, tcp);
            }
            catch (SocketException) when (port == 0 && attempt < 20)
            {
                tcp.Dispose();
            }
            catch
            {
                tcp.Dispose();
                throw;
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        if (_status.State == TurnRelayState.Ready)
        {
            _status.SetStopped();
            TurnLog.Stopped(_log);
        }

        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _sweep?.Dispose();
        _sweep = null;
        _udp?.Dispose();
        _udp = null;
        _tcp?.Dispose();
        _tcp = null;
        _tls?.Dispose();
        _tls = null;
        _server?.Dispose();
    }
}

internal static partial class RelayHostLog
{
    [LoggerMessage(EventId = 4010, Level = LogLevel.Error, Message = "TURN relay not started: {Failure}")]
    public static partial void StartFailed(ILogger logger, string failure, Exception exception);
}
