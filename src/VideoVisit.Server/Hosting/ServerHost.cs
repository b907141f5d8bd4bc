using VideoVisit.Server.Auth;
using VideoVisit.Server.Data;
using VideoVisit.Server.Fhir;

namespace VideoVisit.Server.Hosting;

/// <summary>
/// The table of contents of the server: every capability registers itself through an
/// <c>Add*</c>/<c>Map*</c> extension. Tests build the same application on 127.0.0.1 with their own settings.
/// </summary>
public static class ServerHost
{
    /// <summary>The command-line switch that migrates the store and exits.</summary>
    public const string MigrateArgument = "--migrate";

    /// <summary>
    /// Applies the store's migrations with the server's settings (provider, connection string) and
    /// returns the process exit code; nothing else starts. For operators who migrate once before
    /// starting several servers with <c>Data:MigrateAtStart=false</c>.
    /// </summary>
    public static async Task<int> MigrateAsync(string[] args)
    {
        await using var app = Build(args);
        using var scope = app.Services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None);
        var contexts = scope.ServiceProvider.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<VideoVisitDb>>();
        await using var db = await contexts.CreateDbContextAsync();
        await Console.Out.WriteLineAsync($"The store's schema is up to date ({db.Database.ProviderName}, {DatabaseMigrator.MigrationsOf(db).Count} migrations).");
        return 0;
    }

    /// <param name="args">Command-line arguments.</param>
    /// <param name="customize">Settings, applied before anything registers (tests: addresses and configuration).</param>
    /// <param name="overrideServices">Applied after every registration, so a test can wrap a real service (fault injection).</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? customize = null, Action<IServiceCollection>? overrideServices = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // Tests host the server from their own assembly; the application is still this one.
            ApplicationName = typeof(ServerHost).Assembly.GetName().Name,
        });
        customize?.Invoke(builder);

        builder.AddVideoVisitLogging();
        builder.AddVideoVisitErrors();
        builder.AddVideoVisitHealth();
        builder.AddVideoVisitAuth();
        builder.AddVideoVisitData();
        builder.AddVideoVisits();
        builder.AddFhir();
        builder.AddVideoVisitRelay();
        builder.AddVideoVisitSpa();
        overrideServices?.Invoke(builder.Services);

        var app = builder.Build();

        app.UseVideoVisitSecurityHeaders();
        app.UseVideoVisitRequestLogging();
        app.UseVideoVisitErrors();
        app.UseVideoVisitAuth();
        app.MapVideoVisits();
        app.MapFhirApi();
        app.MapVideoVisitHealth();
        app.MapVideoVisitSpa();
        return app;
    }
}
