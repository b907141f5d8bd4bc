using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Data;

/// <summary>Creates the schema, seeds the demo when asked, and loads the catalog, before the server takes requests.</summary>
internal sealed partial class DataInitializer(
    IDbContextFactory<VideoVisitDb> contexts,
    DbCatalogSource catalog,
    IConfiguration configuration,
    IOptions<VisitOptions> visitOptions,
    TimeProvider time,
    ILogger<DataInitializer> log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Database.EnsureCreatedAsync(cancellationToken);
        if (db.Database.IsSqlite())
        {
            // WAL lets the health check and visit reads run while the writer saves a batch.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", cancellationToken);
            await AddColumnIfMissingAsync(db, "Chat", "Readers", "TEXT NULL", cancellationToken);
        }

        if (configuration.GetValue("Demo:Seed", false))
        {
            DemoData.Seed(db, time.GetUtcNow(), configuration.GetValue("Demo:LoadTestVisits", 0), visitOptions.Value.BeginClosesAfterEnd);
            DemoSeeded(log);
        }

        catalog.Current = await DbCatalogSource.LoadAsync(db, cancellationToken);
        CatalogLoaded(log, catalog.Current.People.Count, catalog.Current.Appointments.Count);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

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

    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "Demo data seeded (Demo:Seed is on): demo people and appointments are in the database")]
    private static partial void DemoSeeded(ILogger logger);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Information, Message = "Catalog loaded: {People} people, {Appointments} appointments")]
    private static partial void CatalogLoaded(ILogger logger, int people, int appointments);
}

/// <summary>The catalog as loaded from the database at start.</summary>
internal sealed class DbCatalogSource : ICatalogSource
{
    private volatile Catalog _current = Catalog.Empty;

    public Catalog Current
    {
        get => _current;
        set => _current = value;
    }

    public static async Task<Catalog> LoadAsync(VideoVisitDb db, CancellationToken cancellationToken)
    {
        var people = await db.People.AsNoTracking().ToListAsync(cancellationToken);
        var rights = await db.Representations.AsNoTracking().ToListAsync(cancellationToken);
        var appointments = await db.Appointments.AsNoTracking().ToListAsync(cancellationToken);
        return new Catalog(
            people.Select(p => new Person(p.Id, p.DisplayName, p.UnitId, p.BirthDate, p.NonDisclosureHolderId)),
            rights.Select(r => new Representation(r.RepresentativeId, r.PersonId, Enum.Parse<RepresentationScope>(r.Scope))),
            appointments.Select(a => new Appointment(
                a.Id,
                a.Start,
                a.End,
                Enum.Parse<AppointmentKind>(a.Kind),
                a.UnitId,
                a.ProfessionalId,
                a.PatientIds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                a.Capacity)));
    }
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
