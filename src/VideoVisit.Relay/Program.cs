using Microsoft.Extensions.Hosting;
using VideoVisit.Media.Hosting;

// A relay-only process: the same relay the server hosts, configured by the same Turn:* keys
// (appsettings.json beside it, environment Turn__SharedSecret, or --Turn:SharedSecret=...).
var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddTurnRelay();
await builder.Build().RunAsync();
