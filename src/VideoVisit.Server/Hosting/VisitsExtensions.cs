using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using VideoVisit.Media;
using VideoVisit.Server.Apis;
using VideoVisit.Server.Auth;
using VideoVisit.Server.Hubs;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Hosting;

internal static class VisitsExtensions
{
    /// <summary>The largest hub message: an SDP of up to 64 KiB plus the JSON around it.</summary>
    public const long MaximumHubMessageBytes = 96 * 1024;

    /// <summary>The visits, the hub that carries them and the options they run under.</summary>
    public static WebApplicationBuilder AddVideoVisits(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<VisitOptions>().BindConfiguration(VisitOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IVisitNotifier, HubVisitNotifier>();
        builder.AddVisitGrains();
        builder.Services.AddSingleton(sp => new VisitService(
            sp.GetRequiredService<ICatalogSource>(),
            sp.GetRequiredService<IVisitStore>(),
            sp.GetRequiredService<IVisitNotifier>(),
            sp.GetRequiredService<IVisitDirectory>(),
            sp.GetRequiredService<IOptions<VisitOptions>>().Value,
            sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(sp => new GuestInvitations(
            sp.GetRequiredService<VisitService>(),
            sp.GetRequiredService<IInvitationStore>(),
            sp.GetRequiredService<IVisitStore>(),
            sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<CspViolations>();
        builder.Services.AddSingleton(sp => new HubRateLimits(sp.GetRequiredService<IOptions<VisitOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<VisitHubFilter>();
        var signalR = builder.Services.AddSignalR(hub =>
        {
            hub.MaximumReceiveMessageSize = MaximumHubMessageBytes;
            hub.AddFilter<VisitHubFilter>();
        });

        // More than one server: with ConnectionStrings:Redis, what a server sends to a connection id
        // (or to all) through IHubContext reaches connections held by the other servers too.
        if (builder.Configuration.GetConnectionString("Redis") is { Length: > 0 } redis)
        {
            signalR.AddStackExchangeRedis(redis, options =>
            {
                options.Configuration.ChannelPrefix = StackExchange.Redis.RedisChannel.Literal(
                    builder.Configuration["Cluster:RedisChannelPrefix"] is { Length: > 0 } prefix ? prefix : "videovisit");
                // The .NET thread pool instead of the client's own threads: on a small machine its dedicated
                // workers compete with the server's for the same cores.
                options.Configuration.SocketManager = StackExchange.Redis.SocketManager.ThreadPool;
            });
        }

        return builder;
    }

    /// <summary>The REST API (<c>/api/...</c>) and the hub (<c>/hubs/visit</c>).</summary>
    public static WebApplication MapVideoVisits(this WebApplication app)
    {
        app.MapDevIssuerApi();
        app.MapCspReportApi();
        app.MapAuthConfigApi();
        // The default policy refuses guests (a guest link opens its one visit, nothing else) ...
        var api = app.MapGroup("/api").RequireAuthorization();
        api.MapPeopleApi();
        api.MapInvitationsApi();
        // ... except what the join page and the call need: ICE servers, the guest's own token renewal, the hub.
        var visitOrGuest = app.MapGroup("/api").RequireAuthorization(GuestTokens.VisitOrGuestPolicy);
        visitOrGuest.MapIceServersApi();
        visitOrGuest.MapGuestTokenApi();
        app.MapGuestRedeemApi();
        // A connection never outlives its token: renewed sign-ins reconnect with the new one, and a
        // revoked or expired sign-in cannot keep sending on an open connection.
        app.MapHub<VisitHub>("/hubs/visit", hub => hub.CloseOnAuthenticationExpiration = true).RequireAuthorization(GuestTokens.VisitOrGuestPolicy);
        return app;
    }
}
