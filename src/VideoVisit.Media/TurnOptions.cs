using System.ComponentModel.DataAnnotations;

namespace VideoVisit.Media;

/// <summary>
/// The relay's settings, bound from the <c>Turn</c> configuration section (Contract v1:
/// <c>Turn:SharedSecret</c>, <c>Turn:Realm</c>, <c>Turn:ListenPort</c>, <c>Turn:RelayAddress</c>,
/// <c>Turn:AllowedPeers</c>, <c>Turn:Enabled</c>). The same shared secret signs the credentials
/// handed out by <c>GET /api/ice-servers</c>, so coturn with <c>use-auth-secret</c> and this relay
/// are interchangeable.
/// </summary>
public sealed class TurnOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Turn";

    /// <summary>Whether the server process hosts the relay.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The TURN REST API shared secret. When empty, the hosting process generates a random one at
    /// start (fine for the embedded relay, but an external relay then cannot accept the credentials).
    /// </summary>
    public string SharedSecret { get; set; } = "";

    /// <summary>The long-term credential realm (RFC 8489 §9.2).</summary>
    [Required]
    public string Realm { get; set; } = "videovisit";

    /// <summary>UDP and TCP port of the STUN/TURN listener; 0 picks a free port (tests).</summary>
    [Range(0, 65535)]
    public int ListenPort { get; set; } = 3478;

    /// <summary>The address the listeners bind to.</summary>
    public string ListenAddress { get; set; } = "0.0.0.0";

    /// <summary>
    /// The IP address put in XOR-RELAYED-ADDRESS, which is also the host clients are told to use in
    /// ICE server URLs. Empty: the listen address (and the request's host name for ICE URLs).
    /// </summary>
    public string RelayAddress { get; set; } = "";

    /// <summary>
    /// CIDR ranges that override the deny list of loopback, private, link-local and other special
    /// peer addresses (e.g. <c>127.0.0.0/8</c> in tests). Empty by default: secure.
    /// </summary>
    public IList<string> AllowedPeers { get; } = [];

    /// <summary>How long credentials handed out by <c>GET /api/ice-servers</c> stay valid.</summary>
    [Range(60, 86400 * 7)]
    public int CredentialLifetimeSeconds { get; set; } = 3600;

    /// <summary>Seconds a NONCE stays valid before requests using it get 438 Stale Nonce (RFC 8489 §9.2).</summary>
    [Range(10, 86400)]
    public int NonceLifetimeSeconds { get; set; } = 600;

    /// <summary>Lifetime of an allocation without a LIFETIME request, and the least granted (RFC 8656 §7.2).</summary>
    [Range(30, 3600)]
    public int AllocationLifetimeSeconds { get; set; } = 600;

    /// <summary>The longest lifetime an Allocate or Refresh is granted.</summary>
    [Range(30, 86400)]
    public int MaxAllocationLifetimeSeconds { get; set; } = 3600;

    /// <summary>Allocations the relay holds at once; beyond it Allocate gets 486.</summary>
    [Range(1, 1_000_000)]
    public int MaxAllocations { get; set; } = 10_000;

    /// <summary>Allocations one user (the user id in the REST username) may hold at once; beyond it 486.</summary>
    [Range(1, 100_000)]
    public int MaxAllocationsPerUser { get; set; } = 20;

    /// <summary>Permissions (and, separately, channels) one allocation may hold; beyond it 508.</summary>
    [Range(1, 4096)]
    public int MaxPermissionsPerAllocation { get; set; } = 64;

    /// <summary>
    /// Per-allocation bandwidth cap in bytes per second, both directions together (0: no cap).
    /// The default, 10 Mbit/s, carries a small group call's video with room to spare.
    /// </summary>
    [Range(0, long.MaxValue)]
    public long AllocationBandwidthBytesPerSecond { get; set; } = 1_250_000;

    /// <summary>
    /// Replies per second per source IP to requests without valid credentials (Binding, 401, 438,
    /// 400). Bounds what a spoofed sender can reflect at a victim; 0 disables the limit.
    /// </summary>
    [Range(0, 1_000_000)]
    public int UnauthenticatedRepliesPerSecond { get; set; } = 200;

    /// <summary>TCP client connections the relay accepts at once.</summary>
    [Range(1, 1_000_000)]
    public int MaxTcpConnections { get; set; } = 20_000;

    /// <summary>
    /// TCP and TLS client connections one source IP address may hold at once; beyond it new ones are
    /// closed at accept. High enough for a hospital's NAT (one browser holds one or two per call),
    /// low enough that one address cannot take every <see cref="MaxTcpConnections"/> slot.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxTcpConnectionsPerSource { get; set; } = 200;

    /// <summary>
    /// Seconds a TCP or TLS connection without an allocation may stay silent before it is closed.
    /// A connection holding an allocation lives as long as the allocation (RFC 8656 §5).
    /// </summary>
    [Range(1, 86400)]
    public int TcpIdleTimeoutSeconds { get; set; } = 60;

    /// <summary>Seconds a TLS client has to finish its handshake before the connection is closed.</summary>
    [Range(1, 300)]
    public int TlsHandshakeTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// Port of the TURN-over-TLS listener (<c>turns:</c>, RFC 8656 §3.1 over TLS 1.2/1.3), on
    /// <see cref="ListenAddress"/>. Empty: no TLS listener; 0 picks a free port (tests). Needs
    /// <see cref="CertificatePath"/> and <see cref="KeyPath"/>.
    /// </summary>
    [Range(0, 65535)]
    public int? TlsPort { get; set; }

    /// <summary>
    /// One port for everything (server only): the web server itself listens with HTTPS on
    /// <see cref="TlsPort"/>, with this certificate, and serves the web app, the hub and TURN over TLS
    /// there, telling a TURN client from a browser by ALPN <c>stun.turn</c> or by its first bytes. The
    /// relay then opens no TLS listener of its own. Ignored by the stand-alone relay.
    /// </summary>
    public bool OnePort { get; set; }

    /// <summary>
    /// The host name put in <c>turns:</c> URLs, which must match the certificate (browsers check it).
    /// Empty: <see cref="RelayAddress"/> if set, else the host name the browser used for the web app.
    /// </summary>
    public string TlsHost { get; set; } = "";

    /// <summary>PEM file of the TLS certificate (with its chain after it); re-read when it changes.</summary>
    public string CertificatePath { get; set; } = "";

    /// <summary>PEM file of the certificate's private key; re-read when it changes.</summary>
    public string KeyPath { get; set; } = "";

    /// <summary>Lowest relay port (with <see cref="RelayPortMax"/>); 0 uses the system's ephemeral ports.</summary>
    [Range(0, 65535)]
    public int RelayPortMin { get; set; }

    /// <summary>Highest relay port; 0 uses the system's ephemeral ports.</summary>
    [Range(0, 65535)]
    public int RelayPortMax { get; set; }

    /// <summary>
    /// Accept channel numbers 0x4000–0x7FFF as RFC 5766 did and coturn does (true, the default:
    /// older clients such as coturn's turnutils_uclient pick from 0x5000–0x7FFF). False applies
    /// RFC 8656 §12's narrower 0x4000–0x4FFF, which keeps channel numbers clear of DTLS-SRTP
    /// demultiplexing (RFC 7983) for deployments that need the strict range.
    /// </summary>
    public bool AllowRfc5766ChannelNumbers { get; set; } = true;

    /// <summary>
    /// On Linux x64, read all UDP sockets from one epoll event loop (the default, and the fast path);
    /// false uses .NET's asynchronous sockets everywhere.
    /// </summary>
    public bool UseEventLoop { get; set; } = true;

    /// <summary>Event loop threads (Linux x64); 0 means one per processor.</summary>
    [Range(0, 256)]
    public int EventLoops { get; set; }
}
