using VideoVisit.Media.Stun;
using VideoVisit.Media.Stun.Attributes;
using VideoVisit.Media.Transports;

namespace VideoVisit.Media.Turn.Handlers;

/// <summary>Allocate (RFC 8656 §7.2): create the relayed transport address for a 5-tuple.</summary>
internal static class AllocateHandler
{
    public static void Handle(TurnServer server, in StunMessage request, in RequestContext context)
    {
        var credential = context.Credential!.Value;

        // Step 2: a 5-tuple holds one allocation. A retransmission of the Allocate that created it
        // gets the same success response; anything else is 437.
        if (server.Allocations.TryGet(context.Tuple, out var existing) && !existing.IsDeleted)
        {
            if (existing.IsExpired(server.NowTicks))
            {
                server.Delete(existing);
            }
            else if (request.TransactionId.SequenceEqual(existing.CreatingTransactionId)
                && string.Equals(existing.Username, credential.Username, StringComparison.Ordinal))
            {
                SendSuccess(server, request, context, existing);
                return;
            }
            else
            {
                server.SendError(request, context, 437, "Allocation Mismatch");
                return;
            }
        }

        // Step 3: REQUESTED-TRANSPORT must be there, and UDP is the only relay transport here.
        if (!RequestedTransportAttribute.TryRead(request, out var protocol))
        {
            server.SendError(request, context, 400, "Bad Request");
            return;
        }

        if (protocol != RequestedTransportAttribute.Udp)
        {
            server.SendError(request, context, 442, "Unsupported Transport Protocol");
            return;
        }

        // Steps 4–5: RESERVATION-TOKEN excludes EVEN-PORT and REQUESTED-ADDRESS-FAMILY.
        var hasToken = ReservationTokenAttribute.TryRead(request, out var token);
        var hasEvenPort = EvenPortAttribute.TryRead(request, out var reserveNext);
        if ((request.HasAttribute(ReservationTokenAttribute.Type) && !hasToken)
            || (request.HasAttribute(EvenPortAttribute.Type) && !hasEvenPort)
            || (hasToken && (hasEvenPort || request.HasAttribute(RequestedAddressFamilyAttribute.Type))))
        {
            server.SendError(request, context, 400, "Bad Request");
            return;
        }

        // RFC 8656 §7.2 step 7 (REQUESTED-ADDRESS-FAMILY): the relay hands out IPv4 relayed addresses only.
        if (request.HasAttribute(RequestedAddressFamilyAttribute.Type))
        {
            if (!RequestedAddressFamilyAttribute.TryRead(request, out var family) || family is not (RequestedAddressFamilyAttribute.IPv4 or RequestedAddressFamilyAttribute.IPv6))
            {
                server.SendError(request, context, 400, "Bad Request");
                return;
            }

            if (family == RequestedAddressFamilyAttribute.IPv6)
            {
                server.SendError(request, context, 440, "Address Family not Supported");
                return;
            }
        }

        // Step 8: quotas, total and per user. A port held for a RESERVATION-TOKEN already counts
        // against its holder's quota; taking it moves that slot to this allocation.
        RelaySocket? relay;
        RelaySocket? reserved = null;
        var dontFragment = DontFragmentAttribute.IsPresent(request);
        if (hasToken)
        {
            // Step 9: the relayed transport address the token holds; none is 508.
            relay = server.Allocations.TakeHeld(token, credential.UserId, server.NowTicks, out var quotaReached);
            if (quotaReached)
            {
                server.SendError(request, context, 486, "Allocation Quota Reached");
                return;
            }
        }
        else
        {
            if (!server.Allocations.TryReserve(credential.UserId))
            {
                server.SendError(request, context, 486, "Allocation Quota Reached");
                return;
            }

            // Step 9: an even port (and its neighbour held back), or any.
            relay = hasEvenPort ? server.CreateEvenRelaySocket(dontFragment, reserveNext, out reserved)
                : server.CreateRelaySocket(dontFragment);
            if (relay is null)
            {
                server.Allocations.Release(credential.UserId);
            }
        }

        if (relay is null)
        {
            TurnLog.NoRelayPort(server.Log);
            server.SendError(request, context, 508, "Insufficient Capacity");
            return;
        }

        var options = server.Options;
        var bandwidth = options.AllocationBandwidthBytesPerSecond > 0
            ? new TokenBucket(server.Time, options.AllocationBandwidthBytesPerSecond, options.AllocationBandwidthBytesPerSecond)
            : null;
        var allocation = new Allocation(context.Tuple, credential.Username, credential.UserId, context.Reply.Persist(), request.TransactionId.ToArray(), bandwidth)
        {
            Relay = relay,
            RelayedAddress = server.AdvertisedRelayAddress(relay.LocalEndPoint, context.Tuple),
        };

        var lifetime = Lifetime.Grant(request, options);
        allocation.GrantedLifetime = lifetime;
        allocation.ExpiresAtTicks = server.NowTicks + TimeSpan.FromSeconds(lifetime).Ticks;
        if (!server.Allocations.TryAdd(allocation))
        {
            // Two Allocates raced on one 5-tuple: the loser is a mismatch.
            server.Allocations.Release(credential.UserId);
            relay.Dispose();
            reserved?.Dispose();
            server.SendError(request, context, 437, "Allocation Mismatch");
            return;
        }

        relay.Start(server, allocation);
        server.Counters.AllocationCreated();
        TurnLog.AllocationCreated(server.Log, allocation.RelayedAddress.Port, context.Tuple.Transport, lifetime);
        allocation.ReservationToken = reserved is null ? 0 : server.Allocations.Hold(reserved, credential.UserId, server.NowTicks);
        SendSuccess(server, request, context, allocation);
    }

    private static void SendSuccess(TurnServer server, in StunMessage request, in RequestContext context, Allocation allocation)
    {
        Span<byte> buffer = stackalloc byte[256];
        var writer = new StunWriter(buffer, StunMethod.Allocate, StunClass.SuccessResponse, request.TransactionId);
        XorRelayedAddressAttribute.Write(ref writer, allocation.RelayedAddress, request.TransactionId);
        LifetimeAttribute.Write(ref writer, allocation.GrantedLifetime);
        XorMappedAddressAttribute.Write(ref writer, context.Tuple.Client, request.TransactionId);
        if (allocation.ReservationToken != 0)
        {
            ReservationTokenAttribute.Write(ref writer, allocation.ReservationToken);
        }

        TurnServer.SendResponse(ref writer, context);
    }
}
