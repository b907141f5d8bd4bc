namespace VideoVisit.Media.Turn;

/// <summary>Why the relay dropped a packet without a reply.</summary>
public enum TurnDropReason
{
    /// <summary>Not a well-formed STUN or ChannelData message (or a bad FINGERPRINT).</summary>
    Malformed,

    /// <summary>Data or an indication from a 5-tuple without an allocation.</summary>
    NoAllocation,

    /// <summary>Data to or from a peer without a permission, or on an unbound channel.</summary>
    NoPermission,

    /// <summary>The allocation exceeded its bandwidth cap.</summary>
    BandwidthExceeded,

    /// <summary>Replies to unauthenticated requests beyond the per-address rate (anti-amplification).</summary>
    RateLimited,

    /// <summary>A response or indication the server does not act on.</summary>
    Unexpected,

    /// <summary>The socket refused the send (buffer full, peer unreachable).</summary>
    SendFailed,

    /// <summary>A TCP or TLS connection refused at accept: the total or per-source connection limit.</summary>
    ConnectionLimit,

    /// <summary>A TCP or TLS connection closed for staying silent without an allocation.</summary>
    ConnectionIdle,

    /// <summary>A TLS handshake that failed or did not finish in time.</summary>
    TlsHandshakeFailed,
}

/// <summary>
/// The relay's counters, updated lock-free on the packet path. Gauges (active allocations,
/// permissions, channels) are read from the allocation table by <see cref="Hosting.TurnRelayStatus"/>.
/// </summary>
public sealed class TurnCounters
{
    private readonly long[] _drops = new long[Enum.GetValues<TurnDropReason>().Length];
    private long _allocationsCreated;
    private long _allocationsDeleted;
    private long _permissionsCreated;
    private long _channelsBound;
    private long _packetsToPeers;
    private long _packetsToClients;
    private long _bytesToPeers;
    private long _bytesToClients;
    private long _requests;
    private long _errorResponses;

    /// <summary>Allocations created since start.</summary>
    public long AllocationsCreated => Interlocked.Read(ref _allocationsCreated);

    /// <summary>Allocations deleted, refreshed to zero or expired since start.</summary>
    public long AllocationsDeleted => Interlocked.Read(ref _allocationsDeleted);

    /// <summary>Permissions installed (not refreshed) since start.</summary>
    public long PermissionsCreated => Interlocked.Read(ref _permissionsCreated);

    /// <summary>Channels bound (not refreshed) since start.</summary>
    public long ChannelsBound => Interlocked.Read(ref _channelsBound);

    /// <summary>Datagrams relayed from clients to peers.</summary>
    public long PacketsToPeers => Interlocked.Read(ref _packetsToPeers);

    /// <summary>Datagrams relayed from peers to clients.</summary>
    public long PacketsToClients => Interlocked.Read(ref _packetsToClients);

    /// <summary>Application bytes relayed from clients to peers.</summary>
    public long BytesToPeers => Interlocked.Read(ref _bytesToPeers);

    /// <summary>Application bytes relayed from peers to clients.</summary>
    public long BytesToClients => Interlocked.Read(ref _bytesToClients);

    /// <summary>STUN requests handled.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Error responses sent.</summary>
    public long ErrorResponses => Interlocked.Read(ref _errorResponses);

    /// <summary>Packets dropped for <paramref name="reason"/>.</summary>
    public long Dropped(TurnDropReason reason) => Interlocked.Read(ref _drops[(int)reason]);

    /// <summary>Every drop, by reason.</summary>
    public IReadOnlyDictionary<string, long> Drops() =>
        Enum.GetValues<TurnDropReason>().ToDictionary(r => r.ToString(), Dropped);

    internal void Drop(TurnDropReason reason) => Interlocked.Increment(ref _drops[(int)reason]);

    internal void AllocationCreated() => Interlocked.Increment(ref _allocationsCreated);

    internal void AllocationDeleted() => Interlocked.Increment(ref _allocationsDeleted);

    internal void PermissionCreated() => Interlocked.Increment(ref _permissionsCreated);

    internal void ChannelBound() => Interlocked.Increment(ref _channelsBound);

    internal void Request() => Interlocked.Increment(ref _requests);

    internal void ErrorResponse() => Interlocked.Increment(ref _errorResponses);

    internal void RelayedToPeer(int bytes)
    {
        Interlocked.Increment(ref _packetsToPeers);
        Interlocked.Add(ref _bytesToPeers, bytes);
    }

    internal void RelayedToClient(int bytes)
    {
        Interlocked.Increment(ref _packetsToClients);
        Interlocked.Add(ref _bytesToClients, bytes);
    }
}
