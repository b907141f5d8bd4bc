using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using VideoVisit.Server.Fhir;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Data;

/// <summary>
/// Creates the schema and seeds the demo (through the FHIR writer) when asked, before the server takes
/// requests. The catalog is not loaded: it is read from the store as it is needed (<see cref="LiveCatalog"/>).
/// </summary>
internal sealed partial class DataInitializer(
    IDbContextFactory<VideoVisitDb> contexts,
    IServiceProvider services,
    IConfiguration configuration,
    IOptions<VisitOptions> visitOptions,
    TimeProvider time,
    ILogger<DataInitializer> log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await CreateSchemaAsync(db, cancellationToken);
        if (configuration.GetValue("Demo:Seed", false))
        {
            var writer = services.GetRequiredService<FhirWriter>();
            await DemoData.SeedAsync(db, writer, time.GetUtcNow(), configuration.GetValue("Demo:LoadTestVisits", 0), visitOptions.Value.BeginClosesAfterEnd, cancellationToken);
            DemoSeeded(log);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Creates what is missing. A database from before the FHIR API kept only the demo seed in its
    /// catalog tables (nothing else ever wrote them), so those three tables are replaced by the new
    /// catalog and the seed is written again; visits, chat, prechecks and the audit trail are kept.
    /// (Issue 12 replaces this with EF Core migrations for SQLite and PostgreSQL.)
    /// </summary>
    private async Task CreateSchemaAsync(VideoVisitDb db, CancellationToken cancellationToken)
    {
        if (!db.Database.IsSqlite())
        {
            await db.Database.EnsureCreatedAsync(cancellationToken);
            return;
        }

        // WAL lets the health check and visit reads run while the writer saves a batch.
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", cancellationToken);
        var tables = await db.Database.SqlQueryRaw<string>("SELECT name AS Value FROM sqlite_master WHERE type = 'table'").ToListAsync(cancellationToken);
        if (tables.Contains("People") && !tables.Contains("FhirResources"))
        {
            await db.Database.ExecuteSqlRawAsync("DROP TABLE IF EXISTS People; DROP TABLE IF EXISTS Representations; DROP TABLE IF EXISTS Appointments;", cancellationToken);
            CatalogUpgraded(log);
        }

        var script = db.Database.GenerateCreateScript()
            .Replace("CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ", StringComparison.Ordinal)
            .Replace("CREATE UNIQUE INDEX ", "CREATE UNIQUE INDEX IF NOT EXISTS ", StringComparison.Ordinal)
            .Replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", StringComparison.Ordinal);
        foreach (var statement in script.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            await db.Database.ExecuteSqlRawAsync(statement, cancellationToken);
        }

        await AddColumnIfMissingAsync(db, "Chat", "Readers", "TEXT NULL", cancellationToken);
    }

    /// <summary>A database made before the column existed gets it (EnsureCreated adds nothing to an existing schema).</summary>
    private static async Task AddColumnIfMissingAsync(VideoVisitDb db, string table, string column, string definition, CancellationToken cancellationToken)
    {
        var columns = await db.Database.SqlQuery<string>($"SELECT name AS Value FROM pragma_table_info({table})").ToListAsync(cancellationToken);
        if (!columns.Contains(column, StringComparer.OrdinalIgnoreCase))
        {
#pragma warning disable EF1002 // Table and column names are constants of this class, never input.
            await db.Database.ExecuteSqlRawAsync($"ALTER TABLE \"{table}\" ADD COLUMN \"{column}\" {definition}", cancellationToken);
#pragma warning restore EF1002
        }
    }

    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "Demo data seeded (Demo:Seed is on): demo people and appointments were written through the FHIR API's writer")]
    private static partial void DemoSeeded(ILogger logger);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Warning, Message = "The database's catalog tables were from before the FHIR API; they were replaced (visits, chat and audit kept)")]
    private static partial void CatalogUpgraded(ILogger logger);
}

/// <summary>The live catalog as <see cref="ICatalogSource"/>.</summary>
internal sealed class LiveCatalogSource(LiveCatalog catalog) : ICatalogSource
{
    public Catalog Current => catalog;
}

/// <summary><c>/readyz</c>: the database answers.</summary>
internal sealed class DatabaseHealthCheck(IDbContextFactory<VideoVisitDb> contexts) : Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck
{
    public async Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
        Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Database.CanConnectAsync(cancellationToken)
            ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy()
            : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("The database does not answer.");
    }
}
