using Microsoft.EntityFrameworkCore;
using VideoVisit.Server.Hosting;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Data;

/// <summary>Which database holds the store (<c>Data:Provider</c>).</summary>
internal enum DataProvider
{
    /// <summary>SQLite in one file: the embedded default, one server.</summary>
    Sqlite,

    /// <summary>PostgreSQL (<c>ConnectionStrings:VideoVisit</c>): shared by several servers.</summary>
    PostgreSql,
}

internal static class DataExtensions
{
    public const string DatabaseFileName = "videovisit.db";

    /// <summary>
    /// The store: SQLite by default, in the data folder (<c>Data:Directory</c>, default <c>data/</c> under
    /// the content root) or at the SQLite connection string <c>ConnectionStrings:VideoVisit</c> when set;
    /// PostgreSQL with <c>Data:Provider=PostgreSql</c> and an Npgsql connection string in
    /// <c>ConnectionStrings:VideoVisit</c>. The schema is brought up to date by migrations at start
    /// (<see cref="DataInitializer"/>) unless <c>Data:MigrateAtStart</c> is false.
    /// </summary>
    public static WebApplicationBuilder AddVideoVisitData(this WebApplicationBuilder builder)
    {
        var provider = ProviderOf(builder.Configuration);
        var connectionString = builder.Configuration.GetConnectionString("VideoVisit");
        // Pooled contexts: a new context built its own scope of EF's services and, through Serilog, new
        // loggers each time; with the store's writes, reads and grain activations that was 40% of what a
        // cluster server allocated while visits signalled (bench/Signalling.Bench with dotnet-trace).
        if (provider == DataProvider.PostgreSql)
        {
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new InvalidOperationException("Data:Provider is PostgreSql, but ConnectionStrings:VideoVisit is empty: give it an Npgsql connection string (Host=...;Database=...;Username=...;Password=...).");
            }

            builder.Services.AddPooledDbContextFactory<PostgreSqlVideoVisitDb>(options => options.UsePostgreSql(connectionString));
            builder.Services.AddSingleton<IDbContextFactory<VideoVisitDb>, StoreContexts<PostgreSqlVideoVisitDb>>();
        }
        else
        {
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                var directory = builder.Configuration["Data:Directory"];
                if (string.IsNullOrWhiteSpace(directory))
                {
                    directory = Path.Combine(builder.Environment.ContentRootPath, "data");
                }

                Directory.CreateDirectory(directory);
                connectionString = "Data Source=" + Path.Combine(directory, DatabaseFileName);
            }

            builder.Services.AddPooledDbContextFactory<SqliteVideoVisitDb>(options => options.UseSqlite(connectionString));
            builder.Services.AddSingleton<IDbContextFactory<VideoVisitDb>, StoreContexts<SqliteVideoVisitDb>>();
        }

        builder.Services.AddSingleton<DatabaseMigrator>();
        builder.AddCatalogPeers(provider);
        builder.Services.AddSingleton<LiveCatalog>();
        builder.Services.AddSingleton<ICatalogSource, LiveCatalogSource>();
        // Order matters: the schema (and the demo seed) exist before the store's writer and the visits start.
        builder.Services.AddHostedService<DataInitializer>();
        // Servers of a cluster share the store: none of them knows every visit, so lookups always ask it.
        var shared = builder.Configuration.GetValue<bool>("Cluster:Enabled");
        builder.Services.AddSingleton(sp => new EfVisitStore(
            sp.GetRequiredService<IDbContextFactory<VideoVisitDb>>(), sp.GetRequiredService<ILogger<EfVisitStore>>(), shared));
        builder.Services.AddSingleton<IVisitStore>(sp => sp.GetRequiredService<EfVisitStore>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EfVisitStore>());
        builder.Services.AddSingleton<IInvitationStore, EfInvitationStore>();
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: [HealthExtensions.ReadyTag]);
        return builder;
    }

    /// <summary><c>Data:Provider</c>: <c>Sqlite</c> (default) or <c>PostgreSql</c>; anything else refuses to start.</summary>
    public static DataProvider ProviderOf(IConfiguration configuration)
    {
        var value = configuration["Data:Provider"];
        if (string.IsNullOrWhiteSpace(value))
        {
            return DataProvider.Sqlite;
        }

        return Enum.TryParse<DataProvider>(value.Trim(), ignoreCase: true, out var provider) && Enum.IsDefined(provider)
            ? provider
            : throw new InvalidOperationException($"Data:Provider is '{value}': use Sqlite (the default) or PostgreSql.");
    }

    /// <summary>
    /// Npgsql as the store uses it (shared by the server and the design-time factory). No retrying
    /// execution strategy: the FHIR writer runs its own transactions, which such a strategy refuses; the
    /// visit store retries its writes itself.
    /// </summary>
    public static DbContextOptionsBuilder UsePostgreSql(this DbContextOptionsBuilder options, string connectionString) =>
        options.UseNpgsql(connectionString);
}

/// <summary>The provider's own context factory seen as the base context type everything else uses.</summary>
internal sealed class StoreContexts<TContext>(IDbContextFactory<TContext> inner) : IDbContextFactory<VideoVisitDb>
    where TContext : VideoVisitDb
{
    public VideoVisitDb CreateDbContext() => inner.CreateDbContext();

    public async Task<VideoVisitDb> CreateDbContextAsync(CancellationToken cancellationToken = default) =>
        await inner.CreateDbContextAsync(cancellationToken);
}
