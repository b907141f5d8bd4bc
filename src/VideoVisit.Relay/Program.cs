using Microsoft.Extensions.Hosting;
using VideoVisit.Media.Hosting;

// A relay-only process: the same relay the server hosts, configured by the same Turn:* keys
// (appsettings.json beside it, environment Turn__SharedSecret, or --Turn:SharedSecret=...).
// The relay's socket completions only parse and forward a datagram and never block (TCP writes are
// queued), so they run on the socket engine's thread instead of hopping to the thread pool: lower
// latency and fewer context switches. Read once, when the first socket operation starts.
Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddTurnRelay();
await builder.Build().RunAsync();
