using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Serialization;
using StackExchange.Redis;
using VideoVisit.Server.Cluster;
using VideoVisit.Server.Data;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Hosting;

/// <summary>
/// Orleans in the server process: every visit is a grain. On the embedded default one silo runs here
/// alone (localhost clustering on ports picked at start); with <c>Cluster:Enabled</c> the servers that
/// share <c>Cluster:ClusterId</c> find each other through Redis (<c>ConnectionStrings:Redis</c>, the
/// same Redis that carries SignalR's messages between them) and talk on <c>Cluster:SiloPort</c>.
/// </summary>
internal static class ClusterExtensions
{
    /// <summary>How long after its death is declared a server that missed it still runs: one table refresh (2 s) and a margin.</summary>
    private static readonly TimeSpan ZombieMargin = TimeSpan.FromSeconds(3);

    public static WebApplicationBuilder AddVisitGrains(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var clustered = config.GetValue<bool>("Cluster:Enabled");
        var clusterId = config["Cluster:ClusterId"] is { Length: > 0 } id ? id : "videovisit";
        if (clustered)
        {
            if (config.GetConnectionString("Redis") is not { Length: > 0 })
            {
                throw new InvalidOperationException("Cluster:Enabled needs ConnectionStrings:Redis: the servers find each other and carry SignalR messages through it.");
            }

            if (DataExtensions.ProviderOf(config) != DataProvider.PostgreSql)
            {
                throw new InvalidOperationException("Cluster:Enabled needs Data:Provider=PostgreSql: every server of a cluster reads and writes the same store.");
            }
        }

        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ServiceId = "videovisit";
            });
            if (clustered)
            {
                var redis = config.GetConnectionString("Redis")!;
                silo.UseRedisClustering(o =>
                {
                    o.ConfigurationOptions = ConfigurationOptions.Parse(redis);
                    o.ConfigurationOptions.SocketManager = SocketManager.ThreadPool;
                });
                var advertised = config["Cluster:AdvertisedAddress"] is { Length: > 0 } a ? IPAddress.Parse(a) : FirstNonLoopbackIPv4();
                var siloPort = config.GetValue("Cluster:SiloPort", 11111);
                silo.ConfigureEndpoints(advertised, siloPort, gatewayPort: 0, listenOnAnyHostAddress: true);
                // A killed server is declared dead within a few seconds, so its visits move on quickly.
                silo.Configure<ClusterMembershipOptions>(o =>
                {
                    o.ProbeTimeout = TimeSpan.FromSeconds(1);
                    o.NumMissedProbesLimit = 2;
                    o.NumVotesForDeathDeclaration = 1;
                    o.TableRefreshTimeout = TimeSpan.FromSeconds(2);
                    o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(10);
                });

                // Where each visit runs is kept by the distributed grain directory, which recovers the
                // registrations a killed server held from the servers still alive. The default directory
                // instead deactivates every visit whose registration the dead server held, wherever it runs:
                // a visit in a call between two live servers then moved to a third in the middle of its
                // seats' failover, and a change in flight could race the new activation's read of the store.
#pragma warning disable ORLEANSEXP003 // Experimental in Orleans 10.4; the failover tests (three servers, kill -9) run on it.
                silo.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
                // After a server is declared dead, its visits (and new visits in the directory's ranges it
                // held) may start elsewhere only once a server wrongly declared dead has surely stopped: it
                // reads the membership table every TableRefreshTimeout and stops when it finds itself dead.
                // Orleans' default waits 22 s more here; a visit in failover cannot wait that long.
                silo.Services.AddOptions<GrainDirectoryOptions>().Configure<IOptions<ClusterMembershipOptions>>((directory, membership) =>
                    directory.RangeLeaseDuration = (membership.Value.MaxProbeTimeout * membership.Value.NumMissedProbesLimit) + ZombieMargin);
            }
            else
            {
                // One server: a silo of its own on loopback, on ports nobody else holds (tests run many at once).
                silo.UseLocalhostClustering(siloPort: FreeTcpPort(), gatewayPort: FreeTcpPort(), serviceId: "videovisit", clusterId: clusterId + "-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8]);
            }

            silo.Services.AddSerializer(serializer => serializer.AddJsonSerializer(
                isSupported: type => type.Namespace?.StartsWith("VideoVisit.", StringComparison.Ordinal) == true && !typeof(Exception).IsAssignableFrom(type),
                jsonSerializerOptions: new JsonSerializerOptions(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } }));
        });

        builder.Services.AddSingleton<ServerLiveness>();
        builder.Services.AddSingleton<ActiveVisits>();
        builder.Services.AddSingleton<RouteCache>();
        builder.Services.AddHostedService<DeadServerWatcher>();
        builder.Services.AddSingleton<IVisitDirectory, GrainVisits>();
        return builder;
    }

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static IPAddress FirstNonLoopbackIPv4() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(u => u.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
        ?? IPAddress.Loopback;
}
