using VideoVisit.Media.Stun;
using VideoVisit.Media.Stun.Attributes;

namespace VideoVisit.Media.Turn.Handlers;

/// <summary>CreatePermission (RFC 8656 §9.2): install or refresh permissions for one or more peer IPs.</summary>
internal static class CreatePermissionHandler
{
    private const int MaxPeersPerRequest = 16;

    public static void Handle(TurnServer server, in StunMessage request, in RequestContext context)
    {
        var allocation = server.FindOwnAllocation(request, context);
        if (allocation is null)
        {
            return;
        }

        // Every XOR-PEER-ADDRESS is checked before any is installed: the request succeeds or fails whole.
        Span<TransportAddress> peers = stackalloc TransportAddress[MaxPeersPerRequest];
        var count = 0;
        foreach (var attribute in request.CoveredAttributes())
        {
            if (attribute.Type != XorPeerAddressAttribute.Type)
            {
                continue;
            }

            if (count == MaxPeersPerRequest || !XorPeerAddressAttribute.TryRead(attribute.Value, request.TransactionId, out var peer))
            {
                server.SendError(request, context, 400, "Bad Request");
                return;
            }

            var verdict = PeerChecks.Check(server, peer, "CreatePermission");
            if (verdict != 0)
            {
                server.SendError(request, context, verdict, PeerChecks.Reason(verdict));
                return;
            }

            peers[count++] = peer;
        }

        if (count == 0)
        {
            server.SendError(request, context, 400, "Bad Request");
            return;
        }

        var expires = server.NowTicks + TimeSpan.FromSeconds(TurnServer.PermissionLifetimeSeconds).Ticks;
        foreach (var peer in peers[..count])
        {
            if (!allocation.TrySetPermission(peer, expires, server.Options.MaxPermissionsPerAllocation, out var created))
            {
                server.SendError(request, context, 508, "Insufficient Capacity");
                return;
            }

            if (created)
            {
                server.Counters.PermissionCreated();
            }
        }

        Span<byte> buffer = stackalloc byte[128];
        var writer = new StunWriter(buffer, StunMethod.CreatePermission, StunClass.SuccessResponse, request.TransactionId);
        TurnServer.SendResponse(ref writer, context);
    }
}
