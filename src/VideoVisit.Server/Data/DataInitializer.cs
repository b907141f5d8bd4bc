using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using VideoVisit.Server.Fhir;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Data;

/// <summary>
/// Migrates the schema (unless <c>Data:MigrateAtStart</c> is false, for operators who run
/// <c>--migrate</c> once before starting several servers) and seeds the demo (through the FHIR writer)
/// when asked, before the server takes requests. The catalog is not loaded: it is read from the store as
/// it is needed (<see cref="LiveCatalog"/>).
/// </summary>
internal sealed partial class DataInitializer(
    IDbContextFactory<VideoVisitDb> contexts,
    DatabaseMigrator migrator,
    IServiceProvider services,
    IConfiguration configuration,
    IOptions<VisitOptions> visitOptions,
    TimeProvider time,
    ILogger<DataInitializer> log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (configuration.GetValue("Data:MigrateAtStart", true))
        {
            await migrator.MigrateAsync(cancellationToken);
        }

        if (configuration.GetValue("Demo:Seed", false))
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var writer = services.GetRequiredService<FhirWriter>();
            await DemoData.SeedAsync(db, writer, time.GetUtcNow(), configuration.GetValue("Demo:LoadTestVisits", 0), visitOptions.Value.BeginClosesAfterEnd, cancellationToken);
            DemoSeeded(log);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "Demo data seeded (Demo:Seed is on): demo people and appointments were written through the FHIR API's writer")]
    private static partial void DemoSeeded(ILogger logger);
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
