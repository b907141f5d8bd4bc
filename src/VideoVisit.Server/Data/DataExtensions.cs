using Microsoft.EntityFrameworkCore;
using VideoVisit.Server.Hosting;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Data;

internal static class DataExtensions
{
    public const string DatabaseFileName = "videovisit.db";

    /// <summary>
    /// SQLite in the data folder (<c>Data:Directory</c>, default <c>data/</c> under the content root),
    /// or the SQLite connection string <c>ConnectionStrings:VideoVisit</c> when set.
    /// </summary>
    public static WebApplicationBuilder AddVideoVisitData(this WebApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString("VideoVisit");
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

        builder.Services.AddDbContextFactory<VideoVisitDb>(options => options.UseSqlite(connectionString));
        builder.Services.AddSingleton<LiveCatalog>();
        builder.Services.AddSingleton<ICatalogSource, LiveCatalogSource>();
        // Order matters: the schema (and the demo seed) exist before the store's writer and the visits start.
        builder.Services.AddHostedService<DataInitializer>();
        builder.Services.AddSingleton<EfVisitStore>();
        builder.Services.AddSingleton<IVisitStore>(sp => sp.GetRequiredService<EfVisitStore>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EfVisitStore>());
        builder.Services.AddSingleton<IInvitationStore, EfInvitationStore>();
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: [HealthExtensions.ReadyTag]);
        return builder;
    }
}
