using VideoVisit.Media.Stun;
using VideoVisit.Media.Stun.Attributes;

namespace VideoVisit.Media.Turn.Handlers;

/// <summary>ChannelBind (RFC 8656 §11.2): bind a channel number to a peer, which also installs a permission.</summary>
internal static class ChannelBindHandler
{
    public static void Handle(TurnServer server, in StunMessage request, in RequestContext context)
    {
        var allocation = server.FindOwnAllocation(request, context);
        if (allocation is null)
        {
            return;
        }

        // CHANNEL-NUMBER in 0x4000–0x4FFF (0x7FFF for RFC 5766 clients when allowed) and an XOR-PEER-ADDRESS are required.
        var max = server.Options.AllowRfc5766ChannelNumbers ? ChannelNumberAttribute.Rfc5766Max : ChannelNumberAttribute.Max;
        if (!ChannelNumberAttribute.TryRead(request, out var number)
            || number < ChannelNumberAttribute.Min || number > max
            || !XorPeerAddressAttribute.TryRead(request, out var peer))
        {
            server.SendError(request, context, 400, "Bad Request");
            return;
        }

        var verdict = PeerChecks.Check(server, peer, "ChannelBind");
        if (verdict != 0)
        {
            server.SendError(request, context, verdict, PeerChecks.Reason(verdict));
            return;
        }

        var now = server.NowTicks;
        var options = server.Options;
        // The channel number must not be bound to another peer, nor the peer to another number.
        var outcome = allocation.TryBindChannel(number, peer, now + TimeSpan.FromSeconds(TurnServer.ChannelLifetimeSeconds).Ticks, options.MaxPermissionsPerAllocation);
        switch (outcome)
        {
            case Allocation.BindOutcome.NumberInUse or Allocation.BindOutcome.PeerInUse:
                server.SendError(request, context, 400, "Bad Request");
                return;
            case Allocation.BindOutcome.Full:
                server.SendError(request, context, 508, "Insufficient Capacity");
                return;
            case Allocation.BindOutcome.Bound:
                server.Counters.ChannelBound();
                break;
        }

        // Binding a channel installs or refreshes the permission for the peer's IP (RFC 8656 §11.2).
        if (!allocation.TrySetPermission(peer, now + TimeSpan.FromSeconds(TurnServer.PermissionLifetimeSeconds).Ticks, options.MaxPermissionsPerAllocation, out var created))
        {
            server.SendError(request, context, 508, "Insufficient Capacity");
            return;
        }

        if (created)
        {
            server.Counters.PermissionCreated();
        }

        Span<byte> buffer = stackalloc byte[128];
        var writer = new StunWriter(buffer, StunMethod.ChannelBind, StunClass.SuccessResponse, request.TransactionId);
        TurnServer.SendResponse(ref writer, context);
    }
}
