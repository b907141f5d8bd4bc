namespace VideoVisit.Media.Transports;

/// <summary>Where packets for one client go: a UDP source address on a listener, or a TCP connection.</summary>
internal interface IClientSink
{
    /// <summary>True for TCP: ChannelData must then be padded to a multiple of 4 bytes (RFC 8656 §12.5).</summary>
    bool IsStream { get; }

    /// <summary>Sends one STUN message or ChannelData message; failures are the transport's to count, never thrown.</summary>
    void Send(ReadOnlySpan<byte> packet);

    /// <summary>A sink that stays valid after the current packet (the UDP listener reuses its per-packet sink).</summary>
    IClientSink Persist();
}
