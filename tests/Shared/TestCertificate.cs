using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace VideoVisit.Testing;

/// <summary>
/// A test certificate authority and a server certificate it signed for <c>localhost</c> and
/// 127.0.0.1, written as PEM files (the CA, the server's chain and its key) in a directory of their own.
/// </summary>
public sealed class TestCertificate : IDisposable
{
    private TestCertificate(string directory, X509Certificate2 authority)
    {
        Directory = directory;
        Authority = authority;
    }

    public string Directory { get; }

    public X509Certificate2 Authority { get; }

    public string AuthorityPath => Path.Combine(Directory, "ca.pem");

    public string CertificatePath => Path.Combine(Directory, "server.pem");

    public string KeyPath => Path.Combine(Directory, "server.key");

    /// <summary>The server certificate now in <see cref="CertificatePath"/>.</summary>
    public X509Certificate2 Server => X509Certificate2.CreateFromPem(File.ReadAllText(CertificatePath));

    public static TestCertificate Create(string name = "VideoVisit test CA")
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("videovisit-tls-").FullName;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=" + name, caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var authority = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        File.WriteAllText(Path.Combine(directory, "ca.pem"), authority.ExportCertificatePem());
        var certificate = new TestCertificate(directory, authority);
        certificate.Renew();
        return certificate;
    }

    /// <summary>Writes a new server certificate and key (a new key pair and serial number) over the old files.</summary>
    public X509Certificate2 Renew()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        using var signed = request.Create(Authority, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(90), serial);
        var pem = signed.ExportCertificatePem() + "\n" + Authority.ExportCertificatePem() + "\n";
        // Write beside and rename over, as certbot and most renewers do: a reader never sees half a file.
        File.WriteAllText(CertificatePath + ".new", pem);
        File.WriteAllText(KeyPath + ".new", key.ExportPkcs8PrivateKeyPem());
        File.Move(KeyPath + ".new", KeyPath, overwrite: true);
        File.Move(CertificatePath + ".new", CertificatePath, overwrite: true);
        return X509Certificate2.CreateFromPem(signed.ExportCertificatePem());
    }

    public void Dispose()
    {
        Authority.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Browser trust stores (NSS databases) that trust a test certificate authority, made with certutil (libnss3-tools).</summary>
public static class NssTrust
{
    /// <summary>
    /// Creates an NSS database in <paramref name="directory"/> (a Firefox profile, or a fake home's
    /// <c>.pki/nssdb</c> for Chromium) that trusts <paramref name="authority"/> to identify servers.
    /// </summary>
    public static void Trust(string directory, string authorityPemPath)
    {
        Assert(File.Exists("/usr/bin/certutil"), "certutil is not installed (libnss3-tools; test.sh installs it)");
        Directory.CreateDirectory(directory);
        Run("-N", "-d", "sql:" + directory, "--empty-password");
        Run("-A", "-d", "sql:" + directory, "-n", "videovisit-test-ca", "-t", "C,,", "-i", authorityPemPath);
    }

    private static void Run(params string[] arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo("/usr/bin/certutil") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(30_000) || process.ExitCode != 0)
        {
            throw new InvalidOperationException("certutil " + string.Join(' ', arguments) + " failed: " + error.Result);
        }
    }

    private static void Assert(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }
}
