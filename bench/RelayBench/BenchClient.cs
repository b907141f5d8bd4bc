using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using VideoVisit.Media;
using VideoVisit.Media.Stun;
using VideoVisit.Media.Stun.Attributes;
using VideoVisit.Media.Turn;

namespace RelayBench;

/// <summary>
/// What a TURN client of the load generator does whatever carries it: an allocation made with REST
/// credentials (the 401 round trip included), a channel to a peer, a delete. Blocking calls: the
/// generator runs each client on its own thread. The same code against every server.
/// </summary>
internal abstract class TurnClient : IDisposable
{
    private readonly byte[] _buffer = new byte[4096];
    private byte[] _key = [];
    private string _username = "";
    private string _realm = "";
    private string _nonce = "";

    /// <summary>The last error code or failure seen, for diagnostics.</summary>
    public string LastError { get; private set; } = "";

    /// <summary>How often a request is sent before giving up: datagrams get lost, streams do not.</summary>
    protected abstract int Attempts { get; }

    /// <summary>Sends one STUN message or ChannelData message.</summary>
    public abstract void Send(ReadOnlySpan<byte> message);

    /// <summary>Receives one message into <paramref name="buffer"/>; throws on a timeout.</summary>
    public abstract int Receive(byte[] buffer);

    public IPEndPoint Relayed { get; private set; } = new(IPAddress.None, 0);

    /// <summary>Allocate: 401 challenge, then the signed request. False when the server refused.</summary>
    public bool Allocate(string secret, string user)
    {
        var (username, password) = TurnRestCredentials.Issue(secret, user, DateTimeOffset.UtcNow.AddHours(1));
        _username = username;
        var challenge = Request(StunMethod.Allocate, static (ref StunWriter w) => RequestedTransportAttribute.Write(ref w, 17), sign: false);
        if (challenge is not { } c || c.Code != 401)
        {
            return false;
        }

        _realm = c.Realm;
        _nonce = c.Nonce;
        _key = LongTermAuthenticator.DeriveKey(username, _realm, password, sha256: false);
        var response = Request(StunMethod.Allocate, static (ref StunWriter w) => RequestedTransportAttribute.Write(ref w, 17), sign: true);
        if (response is not { Code: 0 } r)
        {
            return false;
        }

        Relayed = r.Relayed;
        return true;
    }

    public bool ChannelBind(ushort channel, IPEndPoint peer)
    {
        var address = TransportAddress.From(peer);
        var response = Request(StunMethod.ChannelBind, (ref StunWriter w) =>
        {
            ChannelNumberAttribute.Write(ref w, channel);
            XorPeerAddressAttribute.Write(ref w, address, w.TransactionId);
        }, sign: true);
        return response is { Code: 0 };
    }

    public bool Delete() => Request(StunMethod.Refresh, static (ref StunWriter w) => LifetimeAttribute.Write(ref w, 0), sign: true) is { Code: 0 };

    private delegate void Attributes(ref StunWriter writer);

    private readonly record struct Reply(int Code, string Realm, string Nonce, IPEndPoint Relayed);

    private Reply? Request(ushort method, Attributes attributes, bool sign)
    {
        Span<byte> tid = stackalloc byte[12];
        RandomNumberGenerator.Fill(tid);
        var writer = new StunWriter(_buffer, method, StunClass.Request, tid);
        attributes(ref writer);
        if (sign)
        {
            UsernameAttribute.Write(ref writer, _username);
            RealmAttribute.Write(ref writer, _realm);
            NonceAttribute.Write(ref writer, _nonce);
            writer.WriteMessageIntegrity(_key);
        }

        writer.WriteFingerprint();
        var request = writer.Written.ToArray();
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            Send(request);
            var deadline = Environment.TickCount64 + 2000;
            while (Environment.TickCount64 < deadline)
            {
                int n;
                try
                {
                    n = Receive(_buffer);
                }
                catch (Exception e) when (e is SocketException or IOException)
                {
                    break;
                }

                if (!StunMessage.TryParse(_buffer.AsSpan(0, n), out var m) || !m.TransactionId.SequenceEqual(tid))
                {
                    continue;
                }

                var code = ErrorCodeAttribute.TryRead(m, out var c, out _) ? c : 0;
                var realm = RealmAttribute.TryReadString(m, out var r) ? r : "";
                var nonce = NonceAttribute.TryReadString(m, out var n2) ? n2 : "";
                var relayed = XorRelayedAddressAttribute.TryRead(m, out var a) ? a : default;
                if (code == 438)
                {
                    _nonce = nonce;
                    return Request(method, attributes, sign);
                }

                LastError = code == 0 ? "" : $"{method:x}: error {code}";
                return new Reply(code, realm, nonce, relayed.ToIPEndPoint());
            }
        }

        LastError = $"{method:x}: no response";
        return null;
    }

    /// <summary>Writes a ChannelData header for <paramref name="payload"/> bytes into <paramref name="packet"/>.</summary>
    public static void ChannelDataHeader(Span<byte> packet, ushort channel, int payload)
    {
        BinaryPrimitives.WriteUInt16BigEndian(packet, channel);
        BinaryPrimitives.WriteUInt16BigEndian(packet[2..], (ushort)payload);
    }

    public abstract void Dispose();
}

/// <summary>A TURN client over UDP: one socket connected to the server.</summary>
internal sealed class BenchClient : TurnClient
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

    public BenchClient(IPEndPoint server)
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _socket.Connect(server);
        _socket.ReceiveTimeout = 2000;
        _socket.ReceiveBufferSize = 1 << 20;
    }

    public Socket Socket => _socket;

    protected override int Attempts => 3;

    public override void Send(ReadOnlySpan<byte> message) => _socket.Send(message);

    public override int Receive(byte[] buffer) => _socket.Receive(buffer);

    public override void Dispose() => _socket.Dispose();
}

/// <summary>
/// A TURN client over TLS (turns:, RFC 8656 §3.1 framing on a stream): TLS 1.2/1.3 as the runtime
/// negotiates it, ALPN stun.turn offered, the server's certificate pinned to the one the benchmark made.
/// Each message is read whole: a STUN header says its length, a ChannelData header its payload's
/// (padded to 4 over streams).
/// </summary>
internal sealed class TlsBenchClient : TurnClient
{
    private readonly Socket _socket;
    private readonly SslStream _tls;

    private TlsBenchClient(Socket socket, SslStream tls)
    {
        _socket = socket;
        _tls = tls;
    }

    /// <summary>Connects and completes the handshake (a full one: no session resumption).</summary>
    public static TlsBenchClient Connect(IPEndPoint server, X509Certificate2 expected)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Connect(server);
            socket.ReceiveTimeout = 5000;
            var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
            tls.AuthenticateAsClient(Options(expected));
            return new TlsBenchClient(socket, tls);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Client options: the target name of the test certificate, ALPN stun.turn, no resumption, only that certificate trusted.</summary>
    public static SslClientAuthenticationOptions Options(X509Certificate2 expected) => new()
    {
        TargetHost = "localhost",
        ApplicationProtocols = [new SslApplicationProtocol("stun.turn")],
        AllowTlsResume = false,
        RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(expected.RawData),
    };

    protected override int Attempts => 1;

    public override void Send(ReadOnlySpan<byte> message) => _tls.Write(message);

    public override int Receive(byte[] buffer)
    {
        _tls.ReadExactly(buffer, 0, 4);
        var length = BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(2));
        var total = (buffer[0] & 0xC0) == 0x40 ? 4 + ((length + 3) & ~3) : 20 + length;
        _tls.ReadExactly(buffer, 4, total - 4);
        return total;
    }

    public override void Dispose()
    {
        _tls.Dispose();
        _socket.Dispose();
    }
}
