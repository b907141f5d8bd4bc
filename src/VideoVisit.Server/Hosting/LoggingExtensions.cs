using System.Diagnostics;
using Serilog;
using ILogger = Microsoft.Extensions.Logging.ILogger;

namespace VideoVisit.Server.Hosting;

internal static partial class LoggingExtensions
{
    /// <summary>Serilog as the only sink, configured from the <c>Serilog</c> section of appsettings.</summary>
    public static WebApplicationBuilder AddVideoVisitLogging(this WebApplicationBuilder builder)
    {
        var logger = new LoggerConfiguration()
            .ReadFrom.Configuration(builder.Configuration)
            .Enrich.FromLogContext()
            .CreateLogger();
        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(logger, dispose: true);
        return builder;
    }

    /// <summary>
    /// One line per HTTP request with method, path, status and duration. The query string is never
    /// logged: it carries the hub's access token.
    /// </summary>
    public static WebApplication UseVideoVisitRequestLogging(this WebApplication app)
    {
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("VideoVisit.Server.Http");
        app.Use(async (context, next) =>
        {
            var started = Stopwatch.GetTimestamp();
            var path = context.Request.Path.Value ?? "/"; // before the SPA rewrites it to index.html
            try
            {
                await next(context);
            }
            finally
            {
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                RequestFinished(log, context.Request.Method, path, context.Response.StatusCode, elapsed);
            }
        });
        return app;
    }

    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "HTTP {Method} {Path} responded {StatusCode} in {ElapsedMs:0.0} ms")]
    private static partial void RequestFinished(ILogger logger, string method, string path, int statusCode, double elapsedMs);
}
