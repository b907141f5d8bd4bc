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
            .Enrich.FromLogContext()
            // A refusal the rules made (a HubException with a user-safe message) is not a fault: the hub
            // filter logs it once, at Debug, with its reason code. Real faults still reach Error.
            .Filter.ByExcluding(IsRefusedHubCall));
        return builder;
    }

    /// <summary>
    /// One line per HTTP request with method, path, status and duration. The query string is never
    /// logged: it carries the hub's access token (Serilog's <c>RequestPath</c> leaves it out).
    /// </summary>
    public static WebApplication UseVideoVisitRequestLogging(this WebApplication app)
    {
        app.UseSerilogRequestLogging(options =>
        {
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
