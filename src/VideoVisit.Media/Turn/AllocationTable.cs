using System.Collections.Concurrent;
using System.Security.Cryptography;
using VideoVisit.Media.Stun;
using VideoVisit.Media.Transports;

namespace VideoVisit.Media.Turn;

/// <summary>
/// Allocations keyed by 5-tuple (RFC 8656 §5), with the total and per-user quotas (486) enforced
/// atomically when a slot is reserved, and the relay ports held back by EVEN-PORT's R bit
/// (RFC 8656 §7.2): a held port takes a slot of its user's quota until an Allocate with its
/// RESERVATION-TOKEN turns it into an allocation or it lapses.
/// </summary>
internal sealed class AllocationTable
{
    private readonly ConcurrentDictionary<FiveTuple, Allocation> _byTuple = new();
    private readonly Dictionary<string, int> _perUser = new(StringComparer.Ordinal);
    private readonly Lock _quotaLock = new();
    private readonly int _maxTotal;
    private readonly int _maxPerUser;
    private int _reserved;

    public AllocationTable(int maxTotal, int maxPerUser)
    {
        _maxTotal = maxTotal;
        _maxPerUser = maxPerUser;
    }

    public int Count => _byTuple.Count;

    public IEnumerable<Allocation> All => _byTuple.Values;

    public bool TryGet(in FiveTuple tuple, out Allocation allocation) => _byTuple.TryGetValue(tuple, out allocation!);

    /// <summary>Reserves a slot for <paramref name="userId"/>; false when a quota is reached.</summary>
    public bool TryReserve(string userId)
    {
        lock (_quotaLock)
        {
            _perUser.TryGetValue(userId, out var mine);
            if (_reserved >= _maxTotal || mine >= _maxPerUser)
            {
                return false;
            }

            _reserved++;
            _perUser[userId] = mine + 1;
            return true;
        }
    }

    public void Release(string userId)
    {
        lock (_quotaLock)
        {
            _reserved--;
            if (_perUser.TryGetValue(userId, out var mine))
            {
                if (mine <= 1)
                {
                    _perUser.Remove(userId);
                }
                else
                {
                    _perUser[userId] = mine - 1;
                }
            }
        }
    }

    /// <summary>How long a port held for a RESERVATION-TOKEN stays held (RFC 8656 §7.2: "about 30 seconds").</summary>
    public static readonly TimeSpan ReservationLifetime = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<ulong, Reservation> _reservations = new();

    /// <summary>Ports held for a RESERVATION-TOKEN now.</summary>
    public int ReservationCount => _reservations.Count;

    /// <summary>
    /// Holds <paramref name="socket"/> for <paramref name="userId"/> against the user's quota and returns
    /// its token: 64 bits from a cryptographic generator, since whoever guesses a token takes the port.
    /// Returns 0 (and closes the socket) when the quota is reached.
    /// </summary>
    public ulong Hold(RelaySocket socket, string userId, long nowTicks)
    {
        if (!TryReserve(userId))
        {
            socket.Dispose();
            return 0;
        }

        Span<byte> random = stackalloc byte[8];
        while (true)
        {
            RandomNumberGenerator.Fill(random);
            var token = BitConverter.ToUInt64(random);
            if (token != 0 && _reservations.TryAdd(token, new Reservation(socket, userId, nowTicks + ReservationLifetime.Ticks)))
            {
                return token;
            }
        }
    }

    /// <summary>
    /// Takes the socket a RESERVATION-TOKEN names, if it is still held, for an allocation of
    /// <paramref name="userId"/>: the quota slot moves from the holder to that user (486 when that
    /// user is at the quota, and the port stays held). Null when there is no such live reservation.
    /// </summary>
    public RelaySocket? TakeHeld(ulong token, string userId, long nowTicks, out bool quotaReached)
    {
        quotaReached = false;
        if (!_reservations.TryGetValue(token, out var held))
        {
            return null;
        }

        if (nowTicks >= held.ExpiresAtTicks)
        {
            if (_reservations.TryRemove(new KeyValuePair<ulong, Reservation>(token, held)))
            {
                Drop(held);
            }

            return null;
        }

        var sameUser = string.Equals(held.UserId, userId, StringComparison.Ordinal);
        if (!sameUser && !TryReserve(userId))
        {
            quotaReached = true;
            return null;
        }

        if (!_reservations.TryRemove(new KeyValuePair<ulong, Reservation>(token, held)))
        {
            if (!sameUser)
            {
                Release(userId);
            }

            return null; // taken by a concurrent Allocate
        }

        if (!sameUser)
        {
            Release(held.UserId);
        }

        return held.Socket;
    }

    /// <summary>Closes held ports whose 30 seconds are over and frees their quota.</summary>
    public void SweepHeld(long nowTicks)
    {
        foreach (var (token, held) in _reservations)
        {
            if (nowTicks >= held.ExpiresAtTicks && _reservations.TryRemove(new KeyValuePair<ulong, Reservation>(token, held)))
            {
                Drop(held);
            }
        }
    }

    /// <summary>Closes every held port (the relay is stopping).</summary>
    public void DropAllHeld() => SweepHeld(long.MaxValue);

    private void Drop(Reservation held)
    {
        held.Socket.Dispose();
        Release(held.UserId);
    }

    private sealed record Reservation(RelaySocket Socket, string UserId, long ExpiresAtTicks);

    private readonly ConcurrentDictionary<TransportAddress, Allocation> _byRelayed = new();

    /// <summary>Adds an allocation whose slot is reserved; false when the 5-tuple already has one.</summary>
    public bool TryAdd(Allocation allocation)
    {
        if (!_byTuple.TryAdd(allocation.Tuple, allocation))
        {
            return false;
        }

        _byRelayed[allocation.RelayedAddress] = allocation;
        return true;
    }

    /// <summary>
    /// Whether <paramref name="address"/> (IP and port) is the relayed transport address of a live
    /// allocation here: a peer that is this relay itself, as when two clients both relay.
    /// </summary>
    public bool IsRelayedAddress(in TransportAddress address) =>
        _byRelayed.TryGetValue(address, out var allocation) && !allocation.IsDeleted;

    /// <summary>Removes the allocation (if it is still the one for its 5-tuple) and frees its slot.</summary>
    public bool Remove(Allocation allocation)
    {
        if (!_byTuple.TryRemove(new KeyValuePair<FiveTuple, Allocation>(allocation.Tuple, allocation)))
        {
            return false;
        }

        _byRelayed.TryRemove(new KeyValuePair<TransportAddress, Allocation>(allocation.RelayedAddress, allocation));
        Release(allocation.UserId);
        return true;
    }
}
