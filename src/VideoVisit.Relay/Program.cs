using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using VideoVisit.Media.Hosting;

// A relay-only process: the same relay the server hosts, configured by the same Turn:* keys
// (appsettings.json beside it, environment Turn__SharedSecret, or --Turn:SharedSecret=...), later
// sources winning as in the generic host. It starts without the generic host (no DI container, no
// hosting lifetime, no console logger queue, no file watcher): see StandaloneTurnRelay and the idle
// memory figures in bench/README.md.
// The relay's socket completions only parse and forward a datagram and never block (TCP writes are
// queued), so they run on the socket engine's thread instead of hopping to the thread pool: lower
// latency and fewer context switches. Read once, when the first socket operation starts.
Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");

// The relay verifies no certificate: it asks TLS clients for none and opens no TLS connection of its
// own. Its own certificate's chain is what the PEM file holds (Turn:CertificatePath: the certificate,
// then its intermediates), sent as coturn sends it. But .NET builds that chain with an X509Chain
// (SslStreamCertificateContext.Create; there is no other way to hand SslStream a certificate), which
// on Linux loads the whole system trust store (/etc/ssl/certs, ~150 certificates) and keeps it for
// the life of the process: about 1.9 MiB of an idle relay with a TLS listener, for nothing
// (bench/README.md, "Native AOT relay"). An empty SSL_CERT_FILE and SSL_CERT_DIR give OpenSSL, and
// .NET's store reader, no system store to load. Set in the native environment (OpenSSL and .NET's
// crypto shim read it with getenv, which Environment.SetEnvironmentVariable does not reach), before
// anything touches a certificate; this process only, never the server that hosts the relay. Where
// libc cannot be bound this way, the relay runs as before and only pays the memory.
if (OperatingSystem.IsLinux())
{
    try
    {
        _ = setenv("SSL_CERT_FILE", "", 1);
        _ = setenv("SSL_CERT_DIR", "", 1);
    }
    catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
    {
    }
}

// As the generic host reads them: appsettings.json and appsettings.<DOTNET_ENVIRONMENT>.json from the
// current directory (read once: a changed file takes a restart), then the environment, then arguments.
var environment = Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") ?? "Production";
var configuration = new ConfigurationBuilder()
    .SetBasePath(Directory.GetCurrentDirectory())
    .AddJsonFile("appsettings.json", optional: true, reloadOnChange: false)
    .AddJsonFile($"appsettings.{environment}.json", optional: true, reloadOnChange: false)
    .AddEnvironmentVariables()
    .AddCommandLine(args)
    .Build();
return await StandaloneTurnRelay.RunAsync(configuration, Console.Out);

[DllImport("libc", ExactSpelling = true)]
static extern int setenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
