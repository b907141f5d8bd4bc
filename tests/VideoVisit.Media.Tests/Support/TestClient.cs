using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using VideoVisit.Media.Stun;

namespace VideoVisit.Media.Tests.Support;

/// <summary>
/// A TURN client socket (UDP or TCP) for tests: sends requests, matches responses by transaction
/// id, and queues everything else (Data indications, ChannelData) for the test to read.
/// </summary>
public sealed class TestClient : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private readonly Socket _socket;
    private readonly EndPoint _server;
    private readonly bool _tcp;
    private readonly BlockingCollection<byte[]> _other = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<byte[]>> _pending = new();
    private readonly CancellationTokenSource _stop = new();

    private readonly Stream? _stream;

    private TestClient(Socket socket, EndPoint server, bool tcp, Stream? stream = null)
    {
        _socket = socket;
        _server = server;
        _tcp = tcp;
        _stream = stream;
        _ = ReceiveLoopAsync();
    }

    /// <summary>The certificate the server presented (TLS clients).</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? ServerCertificate { get; private set; }

    /// <summary>The ALPN protocol the server chose (TLS clients).</summary>
    public string? NegotiatedProtocol { get; private set; }

    /// <summary>A TURN-over-TLS client trusting only <paramref name="authority"/>, offering ALPN <paramref name="alpn"/>.</summary>
    public static async Task<TestClient> TlsAsync(IPEndPoint server, System.Security.Cryptography.X509Certificates.X509Certificate2 authority, string? alpn = "stun.turn", string host = "localhost")
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server).WaitAsync(Timeout);
        var ssl = new System.Net.Security.SslStream(new NetworkStream(socket, ownsSocket: false));
        var options = new System.Net.Security.SslClientAuthenticationOptions
        {
            TargetHost = host,
            CertificateChainPolicy = new System.Security.Cryptography.X509Certificates.X509ChainPolicy
            {
                TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust,
                CustomTrustStore = { authority },
                RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
            },
        };
        if (alpn is not null)
        {
            options.ApplicationProtocols = [new System.Net.Security.SslApplicationProtocol(alpn)];
        }

        await ssl.AuthenticateAsClientAsync(options).WaitAsync(Timeout);
        return new TestClient(socket, server, true, ssl)
        {
            ServerCertificate = new System.Security.Cryptography.X509Certificates.X509Certificate2(ssl.RemoteCertificate!),
            NegotiatedProtocol = ssl.NegotiatedApplicationProtocol.ToString(),
        };
    }

    /// <summary>True once the server closed the connection (stream clients).</summary>
    public bool Closed => _closed.Task.IsCompleted;

    /// <summary>Waits until the server closes the connection; false if it is still open after <paramref name="wait"/>.</summary>
    public async Task<bool> WaitClosedAsync(TimeSpan wait) => await Task.WhenAny(_closed.Task, Task.Delay(wait)) == _closed.Task;

    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    public static TestClient Udp(IPEndPoint server)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return new TestClient(socket, server, false);
    }

    public static async Task<TestClient> TcpAsync(IPEndPoint server, IPAddress? from = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (from is not null)
        {
            socket.Bind(new IPEndPoint(from, 0));
        }

        await socket.ConnectAsync(server).WaitAsync(Timeout);
        return new TestClient(socket, server, true);
    }

    public void SendRaw(byte[] packet)
    {
        if (_stream is not null)
        {
            lock (_stream)
            {
                _stream.Write(packet);
                _stream.Flush();
            }
        }
        else if (_tcp)
        {
            _socket.Send(packet);
        }
        else
        {
            _socket.SendTo(packet, _server);
        }
    }

    public async Task<StunResponse> RequestAsync(byte[] request)
    {
        var key = Convert.ToHexString(request, 8, 12);
        var tcs = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[key] = tcs;
        try
        {
            SendRaw(request);
            return StunResponse.Parse(await tcs.Task.WaitAsync(Timeout));
        }
        finally
        {
            _pending.TryRemove(key, out _);
        }
    }

    /// <summary>Sends and expects no response within <paramref name="wait"/>.</summary>
    public async Task<bool> NoResponseAsync(byte[] request, TimeSpan wait)
    {
        var key = Convert.ToHexString(request, 8, 12);
        var tcs = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[key] = tcs;
        SendRaw(request);
        var finished = await Task.WhenAny(tcs.Task, Task.Delay(wait));
        _pending.TryRemove(key, out _);
        return finished != tcs.Task;
    }

    /// <summary>The next packet that is not a response: a Data indication or a ChannelData message; null on timeout.</summary>
    public byte[]? NextData(TimeSpan? wait = null) => _other.TryTake(out var packet, wait ?? Timeout) ? packet : null;

    /// <summary>The 401 round trip of an unauthenticated Allocate: credentials with the server's realm and nonce.</summary>
    public async Task<ClientCredentials> ChallengeAsync(string username, string password, bool sha256 = false)
    {
        var challenge = await RequestAsync(StunBuilder.Allocate(null));
        if (challenge.ErrorCode != 401 || challenge.Nonce is null || challenge.Realm is null)
        {
            throw new InvalidOperationException("Expected a 401 challenge, got " + challenge.ErrorCode);
        }

        return new ClientCredentials(username, password, challenge.Realm, challenge.Nonce, sha256);
    }

    /// <summary>Allocate with the 401 round trip; returns the credentials to sign later requests and the response.</summary>
    public async Task<(ClientCredentials Credentials, StunResponse Response)> AllocateAsync(string username, string password, bool sha256 = false, uint? lifetime = null)
    {
        var credentials = await ChallengeAsync(username, password, sha256);
        return (credentials, await RequestAsync(StunBuilder.Allocate(credentials, lifetime: lifetime)));
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[70000];
        var filled = 0;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var n = _stream is not null
                    ? await _stream.ReadAsync(buffer.AsMemory(filled), _stop.Token)
                    : await _socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, _stop.Token);
                if (n == 0)
                {
                    _closed.TrySetResult();
                    return;
                }

                if (!_tcp)
                {
                    Deliver(buffer.AsSpan(0, n).ToArray());
                    continue;
                }

                filled += n;
                var consumed = 0;
                while (filled - consumed >= 4)
                {
                    var span = buffer.AsSpan(consumed, filled - consumed);
                    var declared = (span[2] << 8) | span[3];
                    var length = (span[0] >> 6) == 0 ? 20 + declared : 4 + ((declared + 3) & ~3);
                    if (span.Length < length)
                    {
                        break;
                    }

                    Deliver(span[..length].ToArray());
                    consumed += length;
                }

                buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                filled -= consumed;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            _closed.TrySetResult();
        }
    }

    private void Deliver(byte[] packet)
    {
        if (StunMessage.TryParse(packet, out var m) && m.Class is StunClass.SuccessResponse or StunClass.ErrorResponse
            && _pending.TryGetValue(Convert.ToHexString(packet, 8, 12), out var tcs))
        {
            tcs.TrySetResult(packet);
            return;
        }

        _other.Add(packet);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stream?.Dispose();
        _socket.Dispose();
        _stop.Dispose();
    }
}

/// <summary>A UDP peer on loopback that records what it receives and can send to the relayed address.</summary>
public sealed class TestPeer : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

    public TestPeer()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _socket.ReceiveTimeout = 3000;
    }

    public IPEndPoint EndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    public void SendTo(IPEndPoint relayed, byte[] data) => _socket.SendTo(data, relayed);

    /// <summary>The next datagram and its source, or null after <paramref name="wait"/>.</summary>
    public (byte[] Data, IPEndPoint From)? Receive(TimeSpan? wait = null)
    {
        _socket.ReceiveTimeout = (int)(wait ?? TestClient.Timeout).TotalMilliseconds;
        var buffer = new byte[4096];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        try
        {
            var n = _socket.ReceiveFrom(buffer, ref from);
            return (buffer[..n], (IPEndPoint)from);
        }
        catch (SocketException)
        {
            return null;
        }
    }

    public void Dispose() => _socket.Dispose();
}
