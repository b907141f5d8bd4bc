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
        if (!server.Policy.IsAllowed(peer))
        {
            TurnLog.PeerDenied(server.Log, method);
            return 403;
        }

        return peer.IsIPv6 ? 443 : 0;
    }

    public static string Reason(int code) => code switch
    {
        403 => "Forbidden",
        443 => "Peer Address Family Mismatch",
        _ => "Bad Request",
    };
}
