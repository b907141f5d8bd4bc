using VideoVisit.Media.Stun;
using VideoVisit.Media.Stun.Attributes;

namespace VideoVisit.Media.Turn.Handlers;

/// <summary>Send indication (RFC 8656 §10.2): relay DATA to XOR-PEER-ADDRESS when a permission allows it; never answered.</summary>
internal static class SendIndicationHandler
{
    public static void Handle(TurnServer server, in StunMessage indication, in FiveTuple tuple)
    {
        var now = server.NowTicks;
        if (!server.Allocations.TryGet(tuple, out var allocation) || allocation.IsDeleted || allocation.IsExpired(now))
        {
            server.Counters.Drop(TurnDropReason.NoAllocation);
            return;
        }

        if (!XorPeerAddressAttribute.TryRead(indication, out var peer) || !DataAttribute.TryRead(indication, out var data))
        {
            server.Counters.Drop(TurnDropReason.Malformed);
            return;
        }

        // The permission is per IP (RFC 8656 §9); the port is checked against the policy too, so a
        // permission granted for one of this relay's own addresses reaches only its relay sockets.
        if (!allocation.HasPermission(peer, now) || !PeerChecks.IsAllowed(server, peer))
        {
            server.Counters.Drop(TurnDropReason.NoPermission);
            return;
        }

        // A channel to the same peer carries a ready-made socket address; otherwise build one.
        var channel = allocation.ChannelByPeer(peer, now);
        server.RelayToPeer(allocation, data, channel?.PeerSocketAddress ?? peer.ToSocketAddress());
    }
}
