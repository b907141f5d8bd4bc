namespace VideoVisit.Server.Hosting;

internal static class ErrorExtensions
{
    /// <summary>Every error an API caller sees is RFC 9457 problem details, never a stack trace.</summary>
    public static WebApplicationBuilder AddVideoVisitErrors(this WebApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails();
        return builder;
    }

    public static WebApplication UseVideoVisitErrors(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }
}
