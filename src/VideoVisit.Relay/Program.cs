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
