using VideoVisit.Media.Stun;

namespace VideoVisit.Media.Turn.Handlers;

/// <summary>The checks every XOR-PEER-ADDRESS in CreatePermission and ChannelBind passes.</summary>
internal static class PeerChecks
{
    /// <summary>
    /// Returns 0 when the peer may be used, else the error code: 403 for an address the peer policy
    /// refuses (checked first, so every refused form is a 403 whatever its family), 443 for an IPv6
    /// peer of an IPv4 relay (RFC 8656 §9.2, §11.2).
    /// </summary>
    public static int Check(TurnServer server, TransportAddress peer, string method)
    {
        if (!IsAllowed(server, peer))
        {
            TurnLog.PeerDenied(server.Log, method);
            return 403;
        }

        return peer.IsIPv6 ? 443 : 0;
    }

    /// <summary>
    /// The peer policy, with one exception: a peer that is exactly (address and port) a relayed
    /// transport address of this relay's own live allocations. Two clients that both relay through
    /// this server are each other's peers at those addresses; on a LAN or one machine they are
    /// private or loopback addresses, which the policy otherwise refuses. Only our own relay sockets
    /// are reachable this way (never another service on that address), and such a packet reaches the
    /// other client only through its own permission, so the policy stays as strict for everything else.
    /// </summary>
    public static bool IsAllowed(TurnServer server, in TransportAddress peer) =>
        server.Policy.IsAllowed(peer) || server.Allocations.IsRelayedAddress(peer);

    public static string Reason(int code) => code switch
    {
        403 => "Forbidden",
        443 => "Peer Address Family Mismatch",
        _ => "Bad Request",
    };
}
