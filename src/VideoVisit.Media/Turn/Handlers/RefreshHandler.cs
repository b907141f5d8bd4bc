using VideoVisit.Media.Stun;
using VideoVisit.Media.Stun.Attributes;

namespace VideoVisit.Media.Turn.Handlers;

/// <summary>Refresh (RFC 8656 §7.3): extend an allocation, or delete it with LIFETIME 0.</summary>
internal static class RefreshHandler
{
    public static void Handle(TurnServer server, in StunMessage request, in RequestContext context)
    {
        var allocation = server.FindOwnAllocation(request, context);
        if (allocation is null)
        {
            return;
        }

        // REQUESTED-ADDRESS-FAMILY naming a family this allocation does not have is 443 (RFC 8656 §7.3).
        if (RequestedAddressFamilyAttribute.TryRead(request, out var family) && family != RequestedAddressFamilyAttribute.IPv4)
        {
            server.SendError(request, context, 443, "Peer Address Family Mismatch");
            return;
        }

        uint lifetime;
        if (LifetimeAttribute.TryRead(request, out var requested) && requested == 0)
        {
            lifetime = 0;
            server.Delete(allocation);
            TurnLog.AllocationDeleted(server.Log, allocation.RelayedAddress.Port);
        }
        else
        {
            lifetime = Lifetime.Grant(request, server.Options);
            allocation.ExpiresAtTicks = server.NowTicks + TimeSpan.FromSeconds(lifetime).Ticks;
        }

        Span<byte> buffer = stackalloc byte[160];
        var writer = new StunWriter(buffer, StunMethod.Refresh, StunClass.SuccessResponse, request.TransactionId);
        LifetimeAttribute.Write(ref writer, lifetime);
        TurnServer.SendResponse(ref writer, context);
    }
}
