using System.Net;
using VideoVisit.Media.Stun;
using VideoVisit.Media.Transports;

namespace VideoVisit.Media.Turn;

/// <summary>A permission: the peer IP address it allows and when it ends (RFC 8656 §9).</summary>
internal sealed class Permission(TransportAddress peerIp, long expiresAtTicks)
{
    public TransportAddress PeerIp { get; } = peerIp;

    public long ExpiresAtTicks { get; set; } = expiresAtTicks;
}

/// <summary>A channel binding: number, peer transport address and when it ends (RFC 8656 §12).</summary>
internal sealed class ChannelBinding(ushort number, TransportAddress peer, long expiresAtTicks)
{
    public ushort Number { get; } = number;

    public TransportAddress Peer { get; } = peer;

    /// <summary>The peer as a socket address, built once so relaying on the channel allocates nothing.</summary>
    public SocketAddress PeerSocketAddress { get; } = peer.ToSocketAddress();

    public long ExpiresAtTicks { get; set; } = expiresAtTicks;
}

/// <summary>
/// One allocation (RFC 8656 §5): the relayed transport address, the client's 5-tuple and the user
/// who created it, its lifetime, permissions and channels. Permissions and channels are small
/// copy-on-write arrays: the packet path reads them without a lock, the rare writes take one.
/// </summary>
internal sealed class Allocation
{
    private readonly Lock _lock = new();
    private Permission[] _permissions = [];
    private ChannelBinding[] _channels = [];
    private long _expiresAtTicks;

    public Allocation(FiveTuple tuple, string username, string userId, IClientSink client, byte[] transactionId, TokenBucket? bandwidth)
    {
        Tuple = tuple;
        Username = username;
        UserId = userId;
        Client = client;
        CreatingTransactionId = transactionId;
        Bandwidth = bandwidth;
    }

    public FiveTuple Tuple { get; }

    public string Username { get; }

    public string UserId { get; }

    public IClientSink Client { get; }

    /// <summary>The transaction id of the Allocate that created it, to answer retransmissions (RFC 8656 §7.2).</summary>
    public byte[] CreatingTransactionId { get; }

    public TokenBucket? Bandwidth { get; }

    public RelaySocket? Relay { get; set; }

    public TransportAddress RelayedAddress { get; set; }

    /// <summary>The lifetime granted by the Allocate, for a retransmitted request's response.</summary>
    public uint GrantedLifetime { get; set; }

    /// <summary>The RESERVATION-TOKEN handed out with this allocation's Allocate response, or 0.</summary>
    public ulong ReservationToken { get; set; }

    public bool IsDeleted { get; private set; }

    public long ExpiresAtTicks
    {
        get => Volatile.Read(ref _expiresAtTicks);
        set => Volatile.Write(ref _expiresAtTicks, value);
    }

    public int PermissionCount => Volatile.Read(ref _permissions).Length;

    public int ChannelCount => Volatile.Read(ref _channels).Length;

    public bool IsExpired(long nowTicks) => nowTicks >= ExpiresAtTicks;

    public bool HasPermission(TransportAddress peer, long nowTicks)
    {
        var ip = peer.WithoutPort;
        foreach (var p in Volatile.Read(ref _permissions))
        {
            if (p.PeerIp == ip)
            {
                return nowTicks < p.ExpiresAtTicks;
            }
        }

        return false;
    }

    public ChannelBinding? ChannelByNumber(ushort number, long nowTicks)
    {
        foreach (var c in Volatile.Read(ref _channels))
        {
            if (c.Number == number)
            {
                return nowTicks < c.ExpiresAtTicks ? c : null;
            }
        }

        return null;
    }

    public ChannelBinding? ChannelByPeer(TransportAddress peer, long nowTicks)
    {
        foreach (var c in Volatile.Read(ref _channels))
        {
            if (c.Peer == peer)
            {
                return nowTicks < c.ExpiresAtTicks ? c : null;
            }
        }

        return null;
    }

    /// <summary>Installs or refreshes a permission; false when a new one would exceed <paramref name="max"/>.</summary>
    public bool TrySetPermission(TransportAddress peer, long expiresAtTicks, int max, out bool created)
    {
        var ip = peer.WithoutPort;
        lock (_lock)
        {
            created = false;
            foreach (var p in _permissions)
            {
                if (p.PeerIp == ip)
                {
                    p.ExpiresAtTicks = expiresAtTicks;
                    return true;
                }
            }

            if (_permissions.Length >= max)
            {
                return false;
            }

            _permissions = [.. _permissions, new Permission(ip, expiresAtTicks)];
            created = true;
            return true;
        }
    }

    /// <summary>The outcome of a ChannelBind against existing bindings (RFC 8656 §11.2).</summary>
    public enum BindOutcome
    {
        Bound,
        Refreshed,
        NumberInUse,
        PeerInUse,
        Full,
    }

    public BindOutcome TryBindChannel(ushort number, TransportAddress peer, long expiresAtTicks, int max)
    {
        lock (_lock)
        {
            foreach (var c in _channels)
            {
                if (c.Number == number && c.Peer == peer)
                {
                    c.ExpiresAtTicks = expiresAtTicks;
                    return BindOutcome.Refreshed;
                }

                // A binding that has expired still holds its number and peer until it is swept; the
                // RFC even asks for a 5-minute quarantine (RFC 8656 §12), which this approximates.
                if (c.Number == number)
                {
                    return BindOutcome.NumberInUse;
                }

                if (c.Peer == peer)
                {
                    return BindOutcome.PeerInUse;
                }
            }

            if (_channels.Length >= max)
            {
                return BindOutcome.Full;
            }

            _channels = [.. _channels, new ChannelBinding(number, peer, expiresAtTicks)];
            return BindOutcome.Bound;
        }
    }

    /// <summary>Drops expired permissions, and channels expired for longer than <paramref name="quarantineTicks"/>.</summary>
    public void SweepExpired(long nowTicks, long quarantineTicks)
    {
        lock (_lock)
        {
            if (_permissions.Any(p => nowTicks >= p.ExpiresAtTicks))
            {
                _permissions = _permissions.Where(p => nowTicks < p.ExpiresAtTicks).ToArray();
            }

            if (_channels.Any(c => nowTicks >= c.ExpiresAtTicks + quarantineTicks))
            {
                _channels = _channels.Where(c => nowTicks < c.ExpiresAtTicks + quarantineTicks).ToArray();
            }
        }
    }

    /// <summary>Marks the allocation deleted and closes its relay socket; idempotent.</summary>
    public bool MarkDeleted()
    {
        lock (_lock)
        {
            if (IsDeleted)
            {
                return false;
            }

            IsDeleted = true;
        }

        Relay?.Dispose();
        return true;
    }
}
