using System.Net;
using Microsoft.Extensions.Logging;

namespace VideoVisit.Media.Turn;

/// <summary>The relay's log events. No user names or addresses at Information level.</summary>
internal static partial class TurnLog
{
    [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "TURN relay listening on UDP {UdpEndPoint} and TCP {TcpEndPoint} (realm {Realm})")]
    public static partial void Listening(ILogger logger, System.Net.IPEndPoint udpEndPoint, System.Net.IPEndPoint tcpEndPoint, string realm);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Information, Message = "TURN relay listening for TLS (turns:) on {TlsEndPoint}")]
    public static partial void ListeningTls(ILogger logger, IPEndPoint tlsEndPoint);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Turn:SharedSecret is empty: generated a random secret for this process; an external relay cannot accept its credentials")]
    public static partial void GeneratedSecret(ILogger logger);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Debug, Message = "Allocation created on relay port {RelayPort} ({Transport}), lifetime {Lifetime} s")]
    public static partial void AllocationCreated(ILogger logger, int relayPort, ClientTransport transport, uint lifetime);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Debug, Message = "Allocation on relay port {RelayPort} deleted by the client")]
    public static partial void AllocationDeleted(ILogger logger, int relayPort);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Debug, Message = "Allocation on relay port {RelayPort} expired")]
    public static partial void AllocationExpired(ILogger logger, int relayPort);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Information, Message = "Peer address refused by the peer policy ({Method})")]
    public static partial void PeerDenied(ILogger logger, string method);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Warning, Message = "Allocation refused: no relay port could be bound")]
    public static partial void NoRelayPort(ILogger logger);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Error, Message = "A packet failed inside the relay; it was dropped")]
    public static partial void PacketFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Information, Message = "TURN relay stopped")]
    public static partial void Stopped(ILogger logger);
}
