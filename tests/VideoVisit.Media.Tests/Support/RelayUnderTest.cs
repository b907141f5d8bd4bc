using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using VideoVisit.Media.Stun;
using VideoVisit.Media.Transports;
using VideoVisit.Media.Turn;

namespace VideoVisit.Media.Tests.Support;

/// <summary>A relay on 127.0.0.1 with real UDP and TCP listeners at OS-picked ports, and a clock the test owns.</summary>
public sealed class RelayUnderTest : IDisposable
{
    public const string Secret = "test-shared-secret";

    private readonly UdpListeners _udp;
    private readonly TurnTcpListener _tcp;
    private readonly TurnTcpListener? _tls;

    private RelayUnderTest(TurnServer server, UdpListeners udp, TurnTcpListener tcp, TurnTcpListener? tls, ManualTimeProvider? time)
    {
        Server = server;
        _udp = udp;
        _tcp = tcp;
        _tls = tls;
        ManualTime = time;
    }

    internal TurnServer Server { get; }

    /// <summary>The relay's clock; null when it runs on system time.</summary>
    public ManualTimeProvider? ManualTime { get; }

    public ManualTimeProvider Time => ManualTime ?? throw new InvalidOperationException("This relay runs on system time.");

    public IPEndPoint UdpEndPoint => OnLoopback(_udp.LocalEndPoint);

    public IPEndPoint TcpEndPoint => OnLoopback(_tcp.LocalEndPoint);

    // A wildcard listener is reached on 127.0.0.1 by the tests' clients.
    private static IPEndPoint OnLoopback(IPEndPoint bound) => bound.Address.Equals(IPAddress.Any) ? new IPEndPoint(IPAddress.Loopback, bound.Port) : bound;

    /// <summary>The TLS listener, when started with a certificate.</summary>
    public IPEndPoint TlsEndPoint => _tls?.LocalEndPoint ?? throw new InvalidOperationException("This relay has no TLS listener.");

    public TurnCounters Counters => Server.Counters;

    /// <summary>A relay with UDP and TCP listeners, and a TLS listener too when <paramref name="tls"/> names PEM files.</summary>
    /// <param name="wildcard">Bind every listener to 0.0.0.0 as the relay's default does (clients still use 127.0.0.1).</param>
    public static RelayUnderTest Start(Action<TurnOptions>? configure = null, bool systemTime = false, TestCertificate? tls = null, bool wildcard = false)
    {
        var options = new TurnOptions { ListenAddress = wildcard ? "0.0.0.0" : "127.0.0.1", ListenPort = 0, SharedSecret = Secret, Realm = "videovisit" };
        var bind = wildcard ? IPAddress.Any : IPAddress.Loopback;
        configure?.Invoke(options);
        var time = systemTime ? null : new ManualTimeProvider();
        var server = new TurnServer(options, () => Secret, (TimeProvider?)time ?? TimeProvider.System, NullLogger.Instance);
        var udp = new UdpListeners(server, new IPEndPoint(bind, 0));
        var tcp = new TurnTcpListener(server, new IPEndPoint(bind, 0));
        var tlsListener = tls is null ? null
            : new TurnTcpListener(server, new IPEndPoint(IPAddress.Loopback, 0), new TlsCertificateSource(tls.CertificatePath, tls.KeyPath));
        udp.Start();
        tcp.Start();
        tlsListener?.Start();
        return new RelayUnderTest(server, udp, tcp, tlsListener, time);
    }

    /// <summary>REST credentials for <paramref name="user"/>, valid for an hour of the relay's clock unless told.</summary>
    public (string Username, string Password) Rest(string user = "alice", TimeSpan? validFor = null) =>
        TurnRestCredentials.Issue(Secret, user, ((TimeProvider?)ManualTime ?? TimeProvider.System).GetUtcNow() + (validFor ?? TimeSpan.FromHours(1)));

    public void Dispose()
    {
        _udp.Dispose();
        _tcp.Dispose();
        _tls?.Dispose();
        Server.Dispose();
    }
}

/// <summary>Test-only view of internal addresses.</summary>
public static class Addresses
{
    internal static TransportAddress Of(string ip, int port) => TransportAddress.From(IPAddress.Parse(ip), (ushort)port);

    internal static TransportAddress Of(IPEndPoint endPoint) => TransportAddress.From(endPoint);
}
