using VideoVisit.Media.Stun;

namespace VideoVisit.Media.Turn;

/// <summary>The client transport the 5-tuple names (RFC 8656 §2: UDP, TCP or TLS-over-TCP).</summary>
internal enum ClientTransport : byte
{
    Udp = 17,
    Tcp = 6,

    /// <summary>TLS over TCP (<c>turns:</c>); its own value so logs and counters tell it from plain TCP.</summary>
    Tls = 56,
}

/// <summary>
/// Client address, server address and transport: what identifies an allocation (RFC 8656 §2, §5).
/// </summary>
internal readonly record struct FiveTuple(ClientTransport Transport, TransportAddress Client, TransportAddress Server);
