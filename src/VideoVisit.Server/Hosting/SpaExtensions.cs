using Microsoft.AspNetCore.SpaServices;

namespace VideoVisit.Server.Hosting;

internal static class SpaExtensions
{
    private static readonly PathString[] ServerPaths = ["/api", "/hubs", "/fhir", "/healthz", "/readyz"];

    /// <summary>
    /// The web app's build output: <c>Spa:RootPath</c> when set, else <c>spa/</c> beside the server's
    /// binaries (the build copies it there), else the Vite output folder in the source tree.
    /// </summary>
    public static WebApplicationBuilder AddVideoVisitSpa(this WebApplicationBuilder builder)
    {
        var root = builder.Configuration["Spa:RootPath"];
        if (string.IsNullOrWhiteSpace(root))
        {
            var beside = Path.Combine(AppContext.BaseDirectory, "spa");
            root = Directory.Exists(beside)
                ? beside
                : Path.GetFullPath(Path.Combine(builder.Environment.ContentRootPath, "..", "VideoVisit.Web", "dist"));
        }

        builder.Services.AddSpaStaticFiles(options => options.RootPath = root);
        return builder;
    }

    /// <summary>
    /// Everything that is not the API, the hub or health is the SPA: static files from the build,
    /// or in Development (with <c>Spa:DevServerUrl</c>) a proxy to the running Vite dev server.
    /// </summary>
    public static WebApplication MapVideoVisitSpa(this WebApplication app)
    {
        var devServer = app.Environment.IsDevelopment() ? app.Configuration["Spa:DevServerUrl"] : null;
        app.MapWhen(
            context => !ServerPaths.Any(p => context.Request.Path.StartsWithSegments(p)),
            spaApp =>
            {
                if (string.IsNullOrWhiteSpace(devServer))
                {
                    spaApp.UseSpaStaticFiles();
                }

                spaApp.UseSpa(spa =>
                {
                    spa.Options.DefaultPageStaticFileOptions = new StaticFileOptions
                    {
                        // index.html must never be cached: a new release ships new hashed assets.
                        OnPrepareResponse = ctx => ctx.Context.Response.Headers.CacheControl = "no-cache",
                    };
                    if (!string.IsNullOrWhiteSpace(devServer))
                    {
                        spa.UseProxyToSpaDevelopmentServer(devServer);
                    }
                });
            });
        return app;
    }
}
