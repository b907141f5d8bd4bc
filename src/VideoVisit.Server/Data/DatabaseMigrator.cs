using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Storage;

namespace VideoVisit.Server.Data;

/// <summary>
/// Brings the store's schema up to date with the provider's EF Core migrations (at start, and with the
/// server's <c>--migrate</c>). A database made before migrations (SQLite, created in code by
/// CREATE TABLE IF NOT EXISTS) has tables but no migrations history: it is first completed to the
/// initial migration's schema (what is missing is created, nothing is dropped but the pre-FHIR catalog
/// tables that only ever held the demo seed) and that migration is recorded as applied, so only later
/// migrations run on it and no row is lost.
/// </summary>
internal sealed partial class DatabaseMigrator(IDbContextFactory<VideoVisitDb> contexts, ILogger<DatabaseMigrator> log)
{
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (db.Database.IsSqlite())
        {
            // WAL (kept in the file) lets the health check and visit reads run while the writer saves a batch.
            // Synchronous stays SQLite's default, FULL, on every connection: a write the store acknowledged
            // is on disk even after a power cut. (This connection goes back to the pool the store draws on,
            // so a setting made here alone would hold for some of the store's commits and not others.)
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }

        else if (db.Database.IsNpgsql())
        {
            await CreatePostgreSqlDatabaseAsync(db, cancellationToken);
        }

        await BaselineAsync(db, cancellationToken);
        // The history table first: EF reads it before migrating and logs a failed read (at Error) when it is missing.
        await db.Database.ExecuteSqlRawAsync(db.GetService<IHistoryRepository>().GetCreateIfNotExistsScript(), cancellationToken);
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        await db.Database.MigrateAsync(cancellationToken);
        if (pending.Count > 0)
        {
            MigrationsApplied(log, pending.Count, pending[^1]);
        }
    }

    /// <summary>
    /// Creates the PostgreSQL database when it does not exist yet (EF would too, but only after logging a
    /// failed connection to it at Error, which would alarm an operator on every first start).
    /// </summary>
    private static async Task CreatePostgreSqlDatabaseAsync(VideoVisitDb db, CancellationToken cancellationToken)
    {
        var target = new Npgsql.NpgsqlConnectionStringBuilder(db.Database.GetConnectionString());
        var name = target.Database;
        if (string.IsNullOrEmpty(name))
        {
            return;
        }

        var maintenance = new Npgsql.NpgsqlConnectionStringBuilder(target.ConnectionString) { Database = "postgres", Pooling = false };
        await using var connection = new Npgsql.NpgsqlConnection(maintenance.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var exists = new Npgsql.NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
        exists.Parameters.AddWithValue(name);
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
        {
            return;
        }

        // CREATE DATABASE takes no parameters: the name is quoted as an identifier.
#pragma warning disable CA2100
        await using var create = new Npgsql.NpgsqlCommand("CREATE DATABASE \"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"", connection);
#pragma warning restore CA2100
        try
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (Npgsql.PostgresException ex) when (ex.SqlState == Npgsql.PostgresErrorCodes.DuplicateDatabase)
        {
            // Another server created it at the same moment.
        }
    }

    /// <summary>The migrations this provider has, oldest first.</summary>
    public static IReadOnlyList<string> MigrationsOf(VideoVisitDb db) => [.. db.Database.GetMigrations()];

    private async Task BaselineAsync(VideoVisitDb db, CancellationToken cancellationToken)
    {
        var history = db.GetService<IHistoryRepository>();
        var creator = db.GetService<IRelationalDatabaseCreator>();
        if (!await creator.ExistsAsync(cancellationToken) || await history.ExistsAsync(cancellationToken) || !await creator.HasTablesAsync(cancellationToken))
        {
            return;
        }

        if (db.Database.IsSqlite())
        {
            var tables = await db.Database.SqlQueryRaw<string>("SELECT name AS Value FROM sqlite_master WHERE type = 'table'").ToListAsync(cancellationToken);
            if (tables.Contains("People") && !tables.Contains("FhirResources"))
            {
                // Before the FHIR API these three tables held only the demo seed, which is written again.
                await db.Database.ExecuteSqlRawAsync("DROP TABLE IF EXISTS People; DROP TABLE IF EXISTS Representations; DROP TABLE IF EXISTS Appointments;", cancellationToken);
                CatalogUpgraded(log);
            }
        }

        var migrations = db.GetService<IMigrationsAssembly>();
        var initialId = migrations.Migrations.Keys.Order(StringComparer.Ordinal).First();
        var initial = migrations.CreateMigration(migrations.Migrations[initialId], db.Database.ProviderName!);
        var commands = db.GetService<IMigrationsSqlGenerator>().Generate(initial.UpOperations);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        foreach (var command in commands)
        {
            var sql = command.CommandText
                .Replace("CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ", StringComparison.Ordinal)
                .Replace("CREATE UNIQUE INDEX ", "CREATE UNIQUE INDEX IF NOT EXISTS ", StringComparison.Ordinal)
                .Replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", StringComparison.Ordinal);
            await db.Database.ExecuteSqlRawAsync(sql, cancellationToken);
        }

        if (db.Database.IsSqlite())
        {
            // The one column the code-made schema added to an existing table by hand.
            await AddColumnIfMissingAsync(db, "Chat", "Readers", "TEXT NULL", cancellationToken);
        }

        await db.Database.ExecuteSqlRawAsync(history.GetCreateIfNotExistsScript(), cancellationToken);
        await db.Database.ExecuteSqlRawAsync(history.GetInsertScript(new HistoryRow(initialId, ProductInfo.GetVersion())), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Baselined(log, initialId);
    }

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

    [LoggerMessage(EventId = 3012, Level = LogLevel.Warning, Message = "The database's catalog tables were from before the FHIR API; they were replaced (visits, chat and audit kept)")]
    private static partial void CatalogUpgraded(ILogger logger);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Warning, Message = "The database was made before migrations: its schema was completed to {Migration} and that migration recorded as applied")]
    private static partial void Baselined(ILogger logger, string migration);

    [LoggerMessage(EventId = 3014, Level = LogLevel.Information, Message = "Database migrations applied: {Count}, now at {Migration}")]
    private static partial void MigrationsApplied(ILogger logger, int count, string migration);
}
