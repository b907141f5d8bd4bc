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

    private readonly UdpListener _udp;
    private readonly TurnTcpListener _tcp;

    private RelayUnderTest(TurnServer server, UdpListener udp, TurnTcpListener tcp, ManualTimeProvider? time)
    {
        Server = server;
        _udp = udp;
        _tcp = tcp;
        ManualTime = time;
    }

    internal TurnServer Server { get; }

    /// <summary>The relay's clock; null when it runs on system time.</summary>
    public ManualTimeProvider? ManualTime { get; }

    public ManualTimeProvider Time => ManualTime ?? throw new InvalidOperationException("This relay runs on system time.");

    public IPEndPoint UdpEndPoint => _udp.LocalEndPoint;

    public IPEndPoint TcpEndPoint => _tcp.LocalEndPoint;

    public TurnCounters Counters => Server.Counters;

    public static RelayUnderTest Start(Action<TurnOptions>? configure = null, bool systemTime = false)
    {
        var options = new TurnOptions { ListenAddress = "127.0.0.1", ListenPort = 0, SharedSecret = Secret, Realm = "videovisit" };
        configure?.Invoke(options);
        var time = systemTime ? null : new ManualTimeProvider();
        var server = new TurnServer(options, () => Secret, (TimeProvider?)time ?? TimeProvider.System, NullLogger.Instance);
        var udp = new UdpListener(server, new IPEndPoint(IPAddress.Loopback, 0));
        var tcp = new TurnTcpListener(server, new IPEndPoint(IPAddress.Loopback, 0), options.MaxTcpConnections);
        udp.Start();
        tcp.Start();
        return new RelayUnderTest(server, udp, tcp, time);
    }

    /// <summary>REST credentials for <paramref name="user"/>, valid for an hour of the relay's clock unless told.</summary>
    public (string Username, string Password) Rest(string user = "alice", TimeSpan? validFor = null) =>
        TurnRestCredentials.Issue(Secret, user, ((TimeProvider?)ManualTime ?? TimeProvider.System).GetUtcNow() + (validFor ?? TimeSpan.FromHours(1)));

    public void Dispose()
    {
        _udp.Dispose();
        _tcp.Dispose();
        Server.Dispose();
    }
}

/// <summary>Test-only view of internal addresses.</summary>
public static class Addresses
{
    internal static TransportAddress Of(string ip, int port) => TransportAddress.From(IPAddress.Parse(ip), (ushort)port);

    internal static TransportAddress Of(IPEndPoint endPoint) => TransportAddress.From(endPoint);
}
