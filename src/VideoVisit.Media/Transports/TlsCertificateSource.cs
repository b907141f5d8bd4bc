using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace VideoVisit.Media.Transports;

/// <summary>
/// The TLS certificate and key from PEM files (<c>Turn:CertificatePath</c>, <c>Turn:KeyPath</c>),
/// re-read when either file changes, so a renewed certificate is served from the next handshake on
/// without a restart. Each handshake compares the files' modification times and sizes (two stat
/// calls): no watcher thread, and no window in which a swapped file is missed. A file caught
/// half-written keeps the previous certificate until it parses.
/// </summary>
public sealed class TlsCertificateSource
{
    /// <summary>ALPN protocol id of TURN (RFC 7443).</summary>
    public static readonly SslApplicationProtocol StunTurn = new("stun.turn");

    private readonly string _certificatePath;
    private readonly string _keyPath;
    private readonly Lock _lock = new();
    private (DateTime, long, DateTime, long) _stamp;
    private SslStreamCertificateContext? _context;

    /// <summary>Loads the files now; throws when they cannot be read (a misconfiguration to refuse at start).</summary>
    public TlsCertificateSource(string certificatePath, string keyPath)
    {
        _certificatePath = certificatePath;
        _keyPath = keyPath;
        if (!TryReload(out var error))
        {
            throw new InvalidOperationException(error);
        }
    }

    /// <summary>The certificate served now (reloaded first if a file changed).</summary>
    public X509Certificate2 Certificate => Current.TargetCertificate;

    /// <summary>The certificate context for the next handshake, reloaded first if a file changed.</summary>
    public SslStreamCertificateContext Current
    {
        get
        {
            if (Stamp() != _stamp)
            {
                TryReload(out _);
            }

            return _context!;
        }
    }

    /// <summary>Options for one server handshake: the current certificate, and ALPN <c>stun.turn</c> when the client offers it.</summary>
    public SslServerAuthenticationOptions ServerOptions() => new()
    {
        ServerCertificateContext = Current,
        ApplicationProtocols = [StunTurn],
        ClientCertificateRequired = false,
    };

    private (DateTime, long, DateTime, long) Stamp()
    {
        var certificate = new FileInfo(_certificatePath);
        var key = new FileInfo(_keyPath);
        return (certificate.Exists ? certificate.LastWriteTimeUtc : default, certificate.Exists ? certificate.Length : -1,
            key.Exists ? key.LastWriteTimeUtc : default, key.Exists ? key.Length : -1);
    }

    private bool TryReload(out string error)
    {
        lock (_lock)
        {
            var stamp = Stamp();
            if (stamp == _stamp && _context is not null)
            {
                error = "";
                return true;
            }

            try
            {
                var chain = new X509Certificate2Collection();
                chain.ImportFromPemFile(_certificatePath);
                var leaf = X509Certificate2.CreateFromPemFile(_certificatePath, _keyPath);
                var intermediates = new X509Certificate2Collection();
                foreach (var certificate in chain)
                {
                    if (!certificate.Thumbprint.Equals(leaf.Thumbprint, StringComparison.Ordinal))
                    {
                        intermediates.Add(certificate);
                    }
                }

                _context = SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
                _stamp = stamp;
                error = "";
                return true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
            {
                error = $"Turn:CertificatePath '{_certificatePath}' and Turn:KeyPath '{_keyPath}' could not be loaded as a PEM certificate and key: {e.Message}";
                return false;
            }
        }
    }
}
