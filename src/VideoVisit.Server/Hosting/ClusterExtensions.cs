using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
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
                // No lease on a dead server's registrations: by default the directory keeps a dead server's
                // visits (and new visits in the ranges it held) from starting elsewhere for 22 s more, in case
                // it was declared dead wrongly and still runs. A patient's seat held through a dead server
                // cannot wait that long (failover is 1-2 s without the lease, 4-5 s with even 3 s of it). A
                // server wrongly declared dead stops itself when it next reads the membership table (every
                // TableRefreshTimeout, 2 s); until then it could run a visit beside its new activation, as it
                // could with Orleans' default directory (the README says so under "Operating more than one server").
                silo.Configure<GrainDirectoryOptions>(o => o.RangeLeaseDuration = TimeSpan.Zero);
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
        if (clustered)
        {
            builder.Services.AddHostedService<MembershipGuard>();
        }

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
