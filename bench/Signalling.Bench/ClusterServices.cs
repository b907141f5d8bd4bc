using System.Globalization;
using VideoVisit.Testing;

/// <summary>
/// PostgreSQL and Redis for the cluster runs (Debian's packages, started on loopback by the same
/// fixtures the tests use); each run gets its own database and cluster id.
/// </summary>
internal sealed class ClusterServices : IAsyncDisposable
{
    private ClusterServices(PostgresInstance postgres, RedisInstance redis)
    {
        Postgres = postgres;
        Redis = redis;
    }

    public PostgresInstance Postgres { get; }

    public RedisInstance Redis { get; }

    public static async Task<ClusterServices> StartAsync()
    {
        var postgres = await PostgresInstance.StartAsync();
        try
        {
            return new ClusterServices(postgres, await RedisInstance.StartAsync());
        }
        catch
        {
            await postgres.DisposeAsync();
            throw;
        }
    }

    /// <summary>A new cluster on a new database: the command-line settings of each of its servers (each call a new silo port).</summary>
    public Func<string[]> NewCluster()
    {
        var database = PostgresInstance.NewDatabaseName();
        var clusterId = "bench-" + Guid.NewGuid().ToString("N")[..10];
        return () =>
        [
            "--Data:Provider", "PostgreSql",
            "--ConnectionStrings:VideoVisit", Postgres.ConnectionString(database),
            "--ConnectionStrings:Redis", Redis.ConnectionString,
            "--Cluster:Enabled", "true",
            "--Cluster:ClusterId", clusterId,
            "--Cluster:AdvertisedAddress", "127.0.0.1",
            "--Cluster:SiloPort", FreePorts.One().ToString(CultureInfo.InvariantCulture),
            "--Auth:DevIssuer:Enabled", "true",
            "--Turn:Enabled", "false",
        ];
    }

    public async ValueTask DisposeAsync()
    {
        await Redis.DisposeAsync();
        await Postgres.DisposeAsync();
    }
}
