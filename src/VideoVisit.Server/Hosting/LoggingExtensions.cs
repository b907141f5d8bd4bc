using Microsoft.AspNetCore.SignalR;
using Serilog;
using Serilog.Events;

namespace VideoVisit.Server.Hosting;

internal static class LoggingExtensions
{
    /// <summary>The SignalR category that logs every failed hub invocation at Error with its stack trace.</summary>
    private const string HubDispatcherCategory = "Microsoft.AspNetCore.SignalR.Internal.DefaultHubDispatcher";

    /// <summary>Serilog as the only sink, configured from the <c>Serilog</c> section of appsettings.</summary>
    public static WebApplicationBuilder AddVideoVisitLogging(this WebApplicationBuilder builder)
    {
        builder.Services.AddSerilog((services, logger) => logger
            .ReadFrom.Configuration(builder.Configuration)
            .ReadFrom.Services(services)
            // ASP.NET's own "Request starting" line carries the query string, and so the hub's access
            // token: our request log replaces it, whatever level the configuration asks for.
            .MinimumLevel.Override("Microsoft.AspNetCore.Hosting.Diagnostics", LogEventLevel.Warning)
            .Enrich.FromLogContext()
            // A refusal the rules made (a HubException with a user-safe message) is not a fault: the hub
            // filter logs it once, at Debug, with its reason code. Real faults still reach Error.
            .Filter.ByExcluding(IsRefusedHubCall),
            // The host's own logger, not the process-wide static one: tests run several servers in one process.
            preserveStaticLogger: true);
        return builder;
    }

    /// <summary>
    /// One line per HTTP request with method, path, status and duration. The query string is never
    /// logged: it carries the hub's access token (Serilog's <c>RequestPath</c> leaves it out).
    /// </summary>
    public static WebApplication UseVideoVisitRequestLogging(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<Serilog.ILogger>();
        app.UseSerilogRequestLogging(options =>
        {
            options.Logger = logger;
            options.MessageTemplate = "HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.0} ms";
            options.IncludeQueryInRequestPath = false;
        });
        return app;
    }

    internal static bool IsRefusedHubCall(LogEvent logEvent) =>
        logEvent.Exception is HubException
        && logEvent.Properties.TryGetValue("SourceContext", out var source)
        && source is ScalarValue { Value: HubDispatcherCategory };
}
