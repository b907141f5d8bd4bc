using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using VideoVisit.Media;
using VideoVisit.Media.Stun;
using VideoVisit.Media.Stun.Attributes;
using VideoVisit.Media.Turn;

namespace RelayBench;

/// <summary>
/// One TURN client of the load generator: a UDP socket, an allocation made with REST credentials
/// (the 401 round trip included), a channel to a peer. Blocking calls: the generator runs it on its
/// own thread. It is the same code against both servers.
/// </summary>
internal sealed class BenchClient : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly IPEndPoint _server;
    private readonly byte[] _buffer = new byte[4096];
    private byte[] _key = [];
    private string _username = "";
    private string _realm = "";
    private string _nonce = "";

    public BenchClient(IPEndPoint server)
    {
        _server = server;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _socket.Connect(server);
        _socket.ReceiveTimeout = 2000;
        _socket.ReceiveBufferSize = 1 << 20;
    }

    public Socket Socket => _socket;

    /// <summary>The last error code or failure seen, for diagnostics.</summary>
    public string LastError { get; private set; } = "";

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
        for (var attempt = 0; attempt < 3; attempt++)
        {
            _socket.Send(request);
            var deadline = Environment.TickCount64 + 2000;
            while (Environment.TickCount64 < deadline)
            {
                int n;
                try
                {
                    n = _socket.Receive(_buffer);
                }
                catch (SocketException)
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

    public void Dispose() => _socket.Dispose();
}
