using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using VideoVisit.Media.Tests.Support;

namespace VideoVisit.Media.Tests.Hosting;

/// <summary>
/// The stand-alone relay as its own process (<c>dotnet VideoVisit.Relay.dll</c>, the same Program as the
/// Native AOT executable) serving TURN over TLS: the chain it sends is the one its PEM file holds, with
/// no system trust store read (which is what kept its idle memory above coturn's), ALPN stun.turn,
/// and a certificate swapped on disk served to the next handshake.
/// </summary>
public sealed partial class StandaloneRelayProcessTests : IDisposable
{
    // A JIT start and its first handshake on a loaded 2-core machine: generous.
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private readonly string _directory = Directory.CreateTempSubdirectory("videovisit-relay-process-").FullName;
    private readonly X509Certificate2 _root;
    private readonly X509Certificate2 _intermediate;

    public StandaloneRelayProcessTests()
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _root = Authority("CN=VideoVisit test root", rootKey).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var intermediate = Authority("CN=VideoVisit test intermediate", intermediateKey)
            .Create(_root, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddMonths(6), [1, 2, 3, 4]);
        _intermediate = intermediate.CopyWithPrivateKey(intermediateKey);
    }

    public void Dispose()
    {
        _root.Dispose();
        _intermediate.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task TheRelayProcessSendsTheChainItsPemFileHoldsAndASwappedCertificateToTheNextHandshake()
    {
        var (certificatePath, keyPath) = (Path.Combine(_directory, "fullchain.pem"), Path.Combine(_directory, "privkey.pem"));
        var first = WriteLeaf(certificatePath, keyPath, withIntermediate: true);
        await using var relay = await StartRelayAsync(certificatePath, keyPath, new Dictionary<string, string>());

        // The client trusts only the root: the handshake verifies only if the relay sent the intermediate.
        var served = await HandshakeAsync(relay.Port);
        Assert.Equal(SslPolicyErrors.None, served.Errors);
        Assert.Equal(["CN=localhost", "CN=VideoVisit test intermediate", "CN=VideoVisit test root"], served.Chain);
        Assert.Equal("stun.turn", served.Alpn);
        Assert.Equal(first, served.Thumbprint);
        Assert.True(served.BindingAnswered, "a STUN Binding request over the TLS connection was answered with a success");

        var renewed = WriteLeaf(certificatePath, keyPath, withIntermediate: true);
        var after = await HandshakeAsync(relay.Port);
        Assert.Equal(SslPolicyErrors.None, after.Errors);
        Assert.Equal(renewed, after.Thumbprint);
    }

    [Fact]
    public async Task TheRelayProcessReadsNoSystemTrustStoreSoItSendsOnlyWhatItsPemFileHolds()
    {
        // A "system" store (SSL_CERT_DIR, as OpenSSL and .NET read it) holding the intermediate and the
        // root, and a PEM file with the certificate alone. A relay that loaded the store would build the
        // chain through it and send the intermediate; ours reads no store, so the client gets the leaf
        // alone and cannot verify it (as with coturn given the same file).
        var store = Directory.CreateDirectory(Path.Combine(_directory, "store")).FullName;
        File.WriteAllText(Path.Combine(store, "root.pem"), _root.ExportCertificatePem());
        File.WriteAllText(Path.Combine(store, "intermediate.pem"), _intermediate.ExportCertificatePem());
        var (certificatePath, keyPath) = (Path.Combine(_directory, "cert.pem"), Path.Combine(_directory, "privkey.pem"));
        WriteLeaf(certificatePath, keyPath, withIntermediate: false);
        await using var relay = await StartRelayAsync(certificatePath, keyPath, new Dictionary<string, string>
        {
            ["SSL_CERT_DIR"] = store,
            ["SSL_CERT_FILE"] = Path.Combine(store, "root.pem"),
        });

        var served = await HandshakeAsync(relay.Port);
        Assert.Equal(SslPolicyErrors.RemoteCertificateChainErrors, served.Errors);
        Assert.Equal("CN=localhost", served.Chain[0]);
        Assert.DoesNotContain("CN=VideoVisit test intermediate", served.Chain);
        Assert.True(served.BindingAnswered, "the relay still serves TURN over TLS to a client that accepts its certificate");
    }

    private static CertificateRequest Authority(string name, ECDsa key)
    {
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request;
    }

    /// <summary>Writes a new leaf for localhost signed by the intermediate (renamed over the old files, as renewers do); returns its thumbprint.</summary>
    private string WriteLeaf(string certificatePath, string keyPath, bool withIntermediate)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        using var leaf = request.Create(_intermediate, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(90), serial);
        File.WriteAllText(keyPath + ".new", key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certificatePath + ".new", leaf.ExportCertificatePem() + "\n" + (withIntermediate ? _intermediate.ExportCertificatePem() + "\n" : ""));
        File.Move(keyPath + ".new", keyPath, overwrite: true);
        File.Move(certificatePath + ".new", certificatePath, overwrite: true);
        return leaf.Thumbprint;
    }

    private sealed record RelayProcess(ExternalProcess Process, int Port) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Process.DisposeAsync();
    }

    private static async Task<RelayProcess> StartRelayAsync(string certificatePath, string keyPath, Dictionary<string, string> environment)
    {
        var process = ExternalProcess.Start(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", environment,
            RelayDll(), "--Turn:ListenAddress=127.0.0.1", "--Turn:ListenPort=0", "--Turn:SharedSecret=s", "--Turn:TlsPort=0",
            "--Turn:CertificatePath=" + certificatePath, "--Turn:KeyPath=" + keyPath);
        try
        {
            var line = await process.WaitForLineAsync(TlsListening(), Wait);
            return new RelayProcess(process, int.Parse(TlsListening().Match(line).Groups["port"].Value, CultureInfo.InvariantCulture));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    [GeneratedRegex(@"listening for TLS \(turns:\) on 127\.0\.0\.1:(?<port>\d+)")]
    private static partial Regex TlsListening();

    /// <summary>The relay built beside this test project (the project reference builds it; same configuration).</summary>
    private static string RelayDll()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)); // .../bin/<configuration>/net10.0
        var configuration = output.Parent!.Name;
        for (var dir = output; dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "VideoVisit.sln")))
            {
                var dll = Path.Combine(dir.FullName, "src", "VideoVisit.Relay", "bin", configuration, output.Name, "VideoVisit.Relay.dll");
                Assert.True(File.Exists(dll), "built relay expected at " + dll);
                return dll;
            }
        }

        throw new InvalidOperationException("VideoVisit.sln not found above " + output.FullName);
    }

    private sealed record Served(SslPolicyErrors Errors, string[] Chain, string Alpn, string Thumbprint, bool BindingAnswered);

    /// <summary>
    /// One TLS connection trusting only the test root (what a browser given that root does): the
    /// verification result and the chain as the client built it from what the relay sent, then one
    /// STUN Binding request over it.
    /// </summary>
    private async Task<Served> HandshakeAsync(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).WaitAsync(Wait);
        await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: false));
        var errors = SslPolicyErrors.None;
        string[] chain = [];
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ApplicationProtocols = [new SslApplicationProtocol("stun.turn")],
            CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                CustomTrustStore = { _root },
                RevocationMode = X509RevocationMode.NoCheck,
            },
            RemoteCertificateValidationCallback = (_, _, built, policyErrors) =>
            {
                errors = policyErrors;
                chain = built is null ? [] : [.. built.ChainElements.Select(e => e.Certificate.Subject)];
                return true; // looked at here, not refused: the second test wants to see what was sent
            },
        }).WaitAsync(Wait);
        var thumbprint = new X509Certificate2(ssl.RemoteCertificate!).Thumbprint;

        byte[] binding = [0, 1, 0, 0, 0x21, 0x12, 0xA4, 0x42, .. RandomNumberGenerator.GetBytes(12)];
        await ssl.WriteAsync(binding).AsTask().WaitAsync(Wait);
        var header = new byte[20];
        await ssl.ReadExactlyAsync(header).AsTask().WaitAsync(Wait);
        var answered = BinaryPrimitives.ReadUInt16BigEndian(header) == 0x0101 && header.AsSpan(8, 12).SequenceEqual(binding.AsSpan(8, 12));
        return new Served(errors, chain, ssl.NegotiatedApplicationProtocol.ToString(), thumbprint, answered);
    }
}
