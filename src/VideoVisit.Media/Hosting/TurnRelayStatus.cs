using System.Net;
using VideoVisit.Media.Turn;

namespace VideoVisit.Media.Hosting;

/// <summary>The relay's state as the host sees it.</summary>
public enum TurnRelayState
{
    /// <summary>Not started yet.</summary>
    Starting,

    /// <summary>Listening on UDP and TCP.</summary>
    Ready,

    /// <summary><c>Turn:Enabled</c> is false: this process hosts no relay.</summary>
    Disabled,

    /// <summary>The listeners could not be opened (see <see cref="TurnRelayStatus.Failure"/>).</summary>
    Failed,

    /// <summary>Stopped with the host.</summary>
    Stopped,
}

/// <summary>
/// Readiness, listening addresses and counters of the relay hosted in this process: what
/// <c>/readyz</c>, operators and tests read.
/// </summary>
public sealed class TurnRelayStatus
{
    private volatile TurnServer? _server;

    /// <summary>The current state.</summary>
    public TurnRelayState State { get; private set; } = TurnRelayState.Starting;

    /// <summary>Why the relay failed to start, naming the setting to look at.</summary>
    public string? Failure { get; private set; }

    /// <summary>The UDP listener's address once ready.</summary>
    public IPEndPoint? UdpEndPoint { get; private set; }

    /// <summary>The TCP listener's address once ready.</summary>
    public IPEndPoint? TcpEndPoint { get; private set; }

    /// <summary>The TLS listener's address once ready; null when <c>Turn:TlsPort</c> is not set.</summary>
    public IPEndPoint? TlsEndPoint { get; private set; }

    /// <summary>True when the relay is ready, or deliberately disabled (nothing to wait for).</summary>
    public bool IsHealthy => State is TurnRelayState.Ready or TurnRelayState.Disabled;

    /// <summary>The relay's counters (zero until it starts).</summary>
    public TurnCounters Counters => _server?.Counters ?? Empty;

    /// <summary>TURN clients served over TLS since start (own TLS listener or the shared HTTPS port).</summary>
    public long TlsConnectionsServed => _server?.Streams.TlsServed ?? 0;

    /// <summary>Allocations held now.</summary>
    public int ActiveAllocations => _server?.Allocations.Count ?? 0;

    /// <summary>Permissions held now, over all allocations.</summary>
    public int ActivePermissions => _server?.Allocations.All.Sum(a => a.PermissionCount) ?? 0;

    /// <summary>Channels bound now, over all allocations.</summary>
    public int ActiveChannels => _server?.Allocations.All.Sum(a => a.ChannelCount) ?? 0;

    internal TurnServer? Server => _server;

    private static readonly TurnCounters Empty = new();

    /// <summary>
    /// Serves a TURN client on a stream another server accepted (the HTTPS port in one-port mode,
    /// after its TLS handshake), under the relay's connection limits and idle timeout. Returns when
    /// the client leaves; closes nothing it was not given. Refused (returns at once) when the relay is
    /// not running or <paramref name="remote"/> has reached its connection limit.
    /// </summary>
    public async Task ServeTlsClientAsync(Stream stream, IPEndPoint remote, IPEndPoint local, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(remote);
        ArgumentNullException.ThrowIfNull(local);
        if (_server is not { } server)
        {
            return;
        }

        if (!server.Streams.Gate.TryEnter(remote.Address))
        {
            server.Counters.Drop(TurnDropReason.ConnectionLimit);
            return;
        }

        try
        {
            await server.Streams.RunAsync(stream, ClientTransport.Tls, remote, local, corked: null, cancellationToken); // a stream of Kestrel's: written as it comes
        }
        finally
        {
            server.Streams.Gate.Leave(remote.Address);
        }
    }

    internal void SetReady(TurnServer server, IPEndPoint udp, IPEndPoint tcp, IPEndPoint? tls = null)
    {
        TlsEndPoint = tls;
        _server = server;
        UdpEndPoint = udp;
        TcpEndPoint = tcp;
        State = TurnRelayState.Ready;
    }

    internal void SetDisabled() => State = TurnRelayState.Disabled;

    internal void SetFailed(string failure)
    {
        Failure = failure;
        State = TurnRelayState.Failed;
    }

    internal void SetStopped() => State = TurnRelayState.Stopped;
}
