using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using VideoVisit.Media.Stun;
using VideoVisit.Media.Stun.Attributes;
using VideoVisit.Media.Transports;
using VideoVisit.Media.Turn.Handlers;

namespace VideoVisit.Media.Turn;

/// <summary>What a handler knows about the request it is answering.</summary>
internal readonly struct RequestContext(FiveTuple tuple, IClientSink reply, Credential? credential)
{
    public FiveTuple Tuple { get; } = tuple;

    public IClientSink Reply { get; } = reply;

    public Credential? Credential { get; } = credential;
}

/// <summary>
/// The dispatcher: reads one client packet (STUN or ChannelData), routes it to the handler of its
/// method, and relays peer datagrams back. It owns the allocation table and the security checks.
/// Transports call it; it never throws on what arrives from the network: a protocol error is a
/// STUN error response, anything unparseable is dropped and counted.
/// </summary>
internal sealed partial class TurnServer : IDisposable
{
    public const uint PermissionLifetimeSeconds = 300; // RFC 8656 §9
    public const uint ChannelLifetimeSeconds = 600; // RFC 8656 §12

    private readonly ILogger _log;
    private readonly ReplyRateLimiter _replyLimiter;
    private readonly IPAddress _relayBindAddress;
    private readonly IPAddress? _advertisedAddress;

    public TurnServer(TurnOptions options, Func<string> sharedSecret, TimeProvider time, ILogger log)
    {
        Options = options;
        Time = time;
        _log = log;
        Counters = new TurnCounters();
        Allocations = new AllocationTable(options.MaxAllocations, options.MaxAllocationsPerUser);
        Policy = new PeerAddressPolicy(options.AllowedPeers);
        Authenticator = new LongTermAuthenticator(sharedSecret, options.Realm, new NonceService(TimeSpan.FromSeconds(options.NonceLifetimeSeconds)), time);
        _replyLimiter = new ReplyRateLimiter(time, options.UnauthenticatedRepliesPerSecond);
        var listen = IPAddress.Parse(options.ListenAddress);
        _relayBindAddress = listen.AddressFamily == AddressFamily.InterNetwork ? listen : IPAddress.Any;
        Loops = options.UseEventLoop && LinuxEventLoop.IsSupported
            ? Enumerable.Range(0, options.EventLoops > 0 ? options.EventLoops : Environment.ProcessorCount).Select(i => new LinuxEventLoop(i)).ToArray()
            : [];
        _advertisedAddress = !string.IsNullOrWhiteSpace(options.RelayAddress) ? IPAddress.Parse(options.RelayAddress)
            : !listen.Equals(IPAddress.Any) && !listen.Equals(IPAddress.IPv6Any) ? _relayBindAddress
            : null;
        Streams = new StreamClients(this);
    }

    /// <summary>The TCP and TLS clients, whichever listener accepted them: connection limits and idle timeouts.</summary>
    internal StreamClients Streams { get; }

    public TurnOptions Options { get; }

    /// <summary>The epoll loops that read every UDP socket (Linux x64); empty where .NET's asynchronous sockets do.</summary>
    internal LinuxEventLoop[] Loops { get; }

    private int _nextLoop;

    /// <summary>
    /// The loop for a new relay socket: the loop handling the current request (so a UDP client's
    /// allocation lives on the same thread as its client socket), else the next in turn (TCP clients).
    /// </summary>
    internal LinuxEventLoop? PickLoop() =>
        Loops.Length == 0 ? null
        : LinuxEventLoop.Current is { } current && Loops.Contains(current) ? current
        : Loops[(int)((uint)Interlocked.Increment(ref _nextLoop) % (uint)Loops.Length)];

    public TimeProvider Time { get; }

    public TurnCounters Counters { get; }

    public AllocationTable Allocations { get; }

    public PeerAddressPolicy Policy { get; }

    public LongTermAuthenticator Authenticator { get; }

    internal ILogger Log => _log;

    public long NowTicks => Time.GetUtcNow().UtcTicks;

    /// <summary>Sees every client packet before dispatch; tests use it to capture real browser traffic.</summary>
    internal Action<FiveTuple, byte[]>? ClientPacketObserver { get; set; }

    /// <summary>Handles one packet from a client 5-tuple. Never throws for anything the network can send.</summary>
    public void HandleClientPacket(ReadOnlySpan<byte> packet, in FiveTuple tuple, IClientSink reply)
    {
        ClientPacketObserver?.Invoke(tuple, packet.ToArray());
        try
        {
            Dispatch(packet, tuple, reply);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug must cost one packet, never the listener.
            Counters.Drop(TurnDropReason.Malformed);
            TurnLog.PacketFailed(_log, e);
        }
    }

    private void Dispatch(ReadOnlySpan<byte> packet, in FiveTuple tuple, IClientSink reply)
    {
        if (packet.Length < 4)
        {
            Counters.Drop(TurnDropReason.Malformed);
            return;
        }

        switch (packet[0] >> 6)
        {
            case 1:
                ChannelDataHandler.FromClient(this, packet, tuple);
                return;
            case 0:
                break;
            default:
                Counters.Drop(TurnDropReason.Malformed);
                return;
        }

        if (!StunMessage.TryParse(packet, out var message) || !FingerprintAttribute.IsAbsentOrValid(message))
        {
            Counters.Drop(TurnDropReason.Malformed);
            return;
        }

        switch (message.Class)
        {
            case StunClass.Request:
                Counters.Request();
                HandleRequest(message, tuple, reply);
                return;
            case StunClass.Indication when message.Method == StunMethod.Send:
                SendIndicationHandler.Handle(this, message, tuple);
                return;
            default:
                Counters.Drop(TurnDropReason.Unexpected); // responses and other indications: nothing to do
                return;
        }
    }

    private void HandleRequest(in StunMessage request, in FiveTuple tuple, IClientSink reply)
    {
        Span<ushort> unknown = stackalloc ushort[16];
        if (request.Method == StunMethod.Binding)
        {
            // RFC 8489 §6.3.1: Binding needs no credentials; reply rate is bounded per source.
            if (!_replyLimiter.TryAcquire(tuple.Client))
            {
                Counters.Drop(TurnDropReason.RateLimited);
                return;
            }

            var n = request.CollectUnknownComprehensionRequired(KnownAttributes.IsKnown, unknown);
            if (n > 0)
            {
                SendError(request, new RequestContext(tuple, reply, null), 420, "Unknown Attribute", unknown[..n]);
                return;
            }

            BindingHandler.Handle(this, request, new RequestContext(tuple, reply, null));
            return;
        }

        if (request.Method is not (StunMethod.Allocate or StunMethod.Refresh or StunMethod.CreatePermission or StunMethod.ChannelBind))
        {
            if (_replyLimiter.TryAcquire(tuple.Client))
            {
                SendError(request, new RequestContext(tuple, reply, null), 400, "Bad Request");
            }

            return;
        }

        // Every TURN request is authenticated with the long-term mechanism (RFC 8656 §6).
        var auth = Authenticator.Authenticate(request, tuple.Client);
        if (!auth.Succeeded)
        {
            if (!_replyLimiter.TryAcquire(tuple.Client))
            {
                Counters.Drop(TurnDropReason.RateLimited);
                return;
            }

            SendError(request, new RequestContext(tuple, reply, null), auth.ErrorCode, auth.Reason, default, challenge: auth.ErrorCode is 401 or 438);
            return;
        }

        var context = new RequestContext(tuple, reply, auth.Credential);
        var unknownCount = request.CollectUnknownComprehensionRequired(KnownAttributes.IsKnown, unknown);
        if (unknownCount > 0)
        {
            SendError(request, context, 420, "Unknown Attribute", unknown[..unknownCount]);
            return;
        }

        switch (request.Method)
        {
            case StunMethod.Allocate:
                AllocateHandler.Handle(this, request, context);
                break;
            case StunMethod.Refresh:
                RefreshHandler.Handle(this, request, context);
                break;
            case StunMethod.CreatePermission:
                CreatePermissionHandler.Handle(this, request, context);
                break;
            case StunMethod.ChannelBind:
                ChannelBindHandler.Handle(this, request, context);
                break;
        }
    }

    /// <summary>
    /// The allocation of the request's 5-tuple, or the error to answer with: 437 when there is none
    /// (or it expired), 441 when it belongs to another username (RFC 8656 §5, §7.3, §9.2, §11.2).
    /// </summary>
    internal Allocation? FindOwnAllocation(in StunMessage request, in RequestContext context)
    {
        if (!Allocations.TryGet(context.Tuple, out var allocation) || allocation.IsDeleted || allocation.IsExpired(NowTicks))
        {
            SendError(request, context, 437, "Allocation Mismatch");
            return null;
        }

        if (!string.Equals(allocation.Username, context.Credential!.Value.Username, StringComparison.Ordinal))
        {
            SendError(request, context, 441, "Wrong Credentials");
            return null;
        }

        return allocation;
    }

    /// <summary>Finishes a response: integrity of the same kind as the request's (RFC 8489 §9.2.4), then FINGERPRINT.</summary>
    internal static void SendResponse(ref StunWriter writer, in RequestContext context)
    {
        if (context.Credential is { } credential)
        {
            if (credential.Sha256Integrity)
            {
                writer.WriteMessageIntegritySha256(credential.Key);
            }
            else
            {
                writer.WriteMessageIntegrity(credential.Key);
            }
        }

        writer.WriteFingerprint();
        context.Reply.Send(writer.Written);
    }

    internal void SendError(in StunMessage request, in RequestContext context, int code, string reason, ReadOnlySpan<ushort> unknown = default, bool challenge = false)
    {
        Counters.ErrorResponse();
        Span<byte> buffer = stackalloc byte[512];
        var writer = new StunWriter(buffer, request.Method, StunClass.ErrorResponse, request.TransactionId);
        ErrorCodeAttribute.Write(ref writer, code, reason);
        if (unknown.Length > 0)
        {
            UnknownAttributesAttribute.Write(ref writer, unknown);
        }

        if (challenge)
        {
            // RFC 8489 §9.2.4: REALM and NONCE, and PASSWORD-ALGORITHMS since the nonce cookie announces them.
            RealmAttribute.Write(ref writer, Authenticator.Realm);
            NonceAttribute.Write(ref writer, Authenticator.NewNonce(context.Tuple.Client));
            PasswordAlgorithmsAttribute.Write(ref writer, PasswordAlgorithmsAttribute.ServerValue);
        }

        SendResponse(ref writer, context);
    }

    /// <summary>The address given to clients as XOR-RELAYED-ADDRESS for a socket bound at <paramref name="bound"/>.</summary>
    internal TransportAddress AdvertisedRelayAddress(IPEndPoint bound, in FiveTuple tuple)
    {
        if (_advertisedAddress is not null)
        {
            return TransportAddress.From(_advertisedAddress, (ushort)bound.Port);
        }

        // Listening on a wildcard: the address the client reached us on is the one it can reach the relay on.
        var server = tuple.Server;
        if (server.IsIPv6)
        {
            var canonical = PeerAddressPolicy.Canonicalize(server);
            server = canonical.IsIPv6 ? server : canonical;
        }

        if (!server.IsIPv6 && server.Address != 0)
        {
            return server with { Port = (ushort)bound.Port };
        }

        // A UDP socket bound to the wildcard is not told which local address a datagram reached, so
        // the 5-tuple's server address is 0.0.0.0. Answer with the address this host sends to the
        // client from (what the routing table picks): the loopback address for a client on this
        // machine, the LAN address for one on the LAN — the address the client reached in practice,
        // as TCP reports it. The machine's primary address was given before, which a browser on
        // this machine reached over loopback did not expect and the peer policy refused.
        return TransportAddress.From(SourceAddressFor(tuple.Client), (ushort)bound.Port);
    }

    private static IPAddress SourceAddressFor(TransportAddress client)
    {
        try
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            probe.Connect(client.IsIPv6 ? new IPEndPoint(PrimaryAddress.Value, 9) : client.ToIPEndPoint()); // no packet is sent: this only asks the routing table
            return ((IPEndPoint)probe.LocalEndPoint!).Address;
        }
        catch (SocketException)
        {
            return PrimaryAddress.Value;
        }
    }

    private static readonly Lazy<IPAddress> PrimaryAddress = new(FindPrimaryAddress);

    private static IPAddress FindPrimaryAddress()
    {
        try
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            probe.Connect(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 9)); // no packet is sent: this only asks the routing table
            return ((IPEndPoint)probe.LocalEndPoint!).Address;
        }
        catch (SocketException)
        {
            return IPAddress.Loopback;
        }
    }

    internal RelaySocket? CreateRelaySocket(bool dontFragment) =>
        RelaySocket.TryCreate(_relayBindAddress, Options.RelayPortMin, Options.RelayPortMax, dontFragment);

    internal RelaySocket? CreateEvenRelaySocket(bool dontFragment, bool reserveNext, out RelaySocket? next) =>
        RelaySocket.TryCreateEven(_relayBindAddress, Options.RelayPortMin, Options.RelayPortMax, dontFragment, reserveNext, out next);

    /// <summary>Deletes an allocation: removes it from the table, closes its relay socket, frees its quota.</summary>
    internal void Delete(Allocation allocation)
    {
        if (Allocations.Remove(allocation))
        {
            allocation.MarkDeleted();
            Counters.AllocationDeleted();
        }
    }

    /// <summary>A TCP client went away: its allocation goes with it (RFC 8656 §5).</summary>
    public void ClientClosed(in FiveTuple tuple)
    {
        if (Allocations.TryGet(tuple, out var allocation))
        {
            Delete(allocation);
        }
    }

    /// <summary>Removes expired allocations, permissions and channels. Called every second by the host, or by tests.</summary>
    public void Sweep()
    {
        var now = NowTicks;
        var quarantine = TimeSpan.FromMinutes(5).Ticks;
        Allocations.SweepHeld(now);

        foreach (var allocation in Allocations.All)
        {
            if (allocation.IsExpired(now))
            {
                Delete(allocation);
                TurnLog.AllocationExpired(_log, allocation.RelayedAddress.Port);
            }
            else
            {
                allocation.SweepExpired(now, quarantine);
            }
        }
    }

    /// <summary>
    /// A datagram from a peer arrived on an allocation's relay socket at <c>buffer[Headroom..]</c>:
    /// relay it to the client as ChannelData when a channel is bound to the peer, else as a Data
    /// indication (RFC 8656 §10.3, §12.6) — only when the peer has a permission.
    /// </summary>
    internal void HandlePeerPacket(Allocation allocation, byte[] buffer, int length, SocketAddress peerAddress)
    {
        try
        {
            if (!TransportAddress.TryFrom(peerAddress, out var peer))
            {
                return;
            }

            var now = NowTicks;
            if (allocation.IsDeleted || allocation.IsExpired(now) || !allocation.HasPermission(peer, now))
            {
                Counters.Drop(TurnDropReason.NoPermission);
                return;
            }

            if (allocation.Bandwidth is { } bucket && !bucket.TryTake(length))
            {
                Counters.Drop(TurnDropReason.BandwidthExceeded);
                return;
            }

            var client = allocation.Client;
            var dataStart = RelaySocket.Headroom;
            var padding = (4 - (length & 3)) & 3;
            var channel = allocation.ChannelByPeer(peer, now);
            if (channel is not null)
            {
                var start = dataStart - 4;
                BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(start), channel.Number);
                BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(start + 2), (ushort)length);
                var total = 4 + length;
                if (client.IsStream && padding > 0)
                {
                    buffer.AsSpan(dataStart + length, padding).Clear();
                    total += padding;
                }

                client.Send(buffer.AsSpan(start, total));
            }
            else
            {
                // Data indication: header, XOR-PEER-ADDRESS, DATA, written backwards from the data.
                var addressLength = peer.IsIPv6 ? 20 : 8;
                var start = dataStart - 4 - (4 + addressLength) - StunConstants.HeaderLength;
                var span = buffer.AsSpan(start);
                BinaryPrimitives.WriteUInt16BigEndian(span, StunConstants.MessageType(StunMethod.Data, StunClass.Indication));
                BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)(4 + addressLength + 4 + length + padding));
                BinaryPrimitives.WriteUInt32BigEndian(span[4..], StunConstants.MagicCookie);
                var transactionId = span.Slice(8, 12);
                Random.Shared.NextBytes(transactionId);
                var attr = span[20..];
                BinaryPrimitives.WriteUInt16BigEndian(attr, XorPeerAddressAttribute.Type);
                BinaryPrimitives.WriteUInt16BigEndian(attr[2..], (ushort)addressLength);
                XorAddressCodec.Write(attr.Slice(4, addressLength), peer, transactionId, xor: true);
                attr = attr[(4 + addressLength)..];
                BinaryPrimitives.WriteUInt16BigEndian(attr, DataAttribute.Type);
                BinaryPrimitives.WriteUInt16BigEndian(attr[2..], (ushort)length);
                buffer.AsSpan(dataStart + length, padding).Clear();
                client.Send(buffer.AsSpan(start, dataStart - start + length + padding));
            }

            Counters.RelayedToClient(length);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Counters.Drop(TurnDropReason.SendFailed);
            TurnLog.PacketFailed(_log, e);
        }
    }

    /// <summary>Relays client data to a peer, after the bandwidth check.</summary>
    internal void RelayToPeer(Allocation allocation, ReadOnlySpan<byte> data, SocketAddress peer)
    {
        if (allocation.Bandwidth is { } bucket && !bucket.TryTake(data.Length))
        {
            Counters.Drop(TurnDropReason.BandwidthExceeded);
            return;
        }

        if (allocation.Relay is { } relay && relay.SendTo(data, peer))
        {
            Counters.RelayedToPeer(data.Length);
        }
        else
        {
            Counters.Drop(TurnDropReason.SendFailed);
        }
    }

    public void Dispose()
    {
        Streams.Dispose();
        Allocations.DropAllHeld();

        foreach (var allocation in Allocations.All)
        {
            Delete(allocation);
        }

        foreach (var loop in Loops)
        {
            loop.Dispose();
        }
    }
}
