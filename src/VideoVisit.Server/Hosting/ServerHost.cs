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
