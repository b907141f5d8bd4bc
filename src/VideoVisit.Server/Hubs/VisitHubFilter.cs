using Microsoft.AspNetCore.SignalR;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Hubs;

/// <summary>Turns the domain's refusals into <see cref="HubException"/>s, whose message the client sees.</summary>
internal sealed partial class VisitHubFilter(ILogger<VisitHubFilter> log) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        try
        {
            return await next(invocationContext);
        }
        catch (VisitException refused)
        {
            Refused(log, invocationContext.HubMethodName, refused.Error);
            throw new HubException(refused.Message, refused);
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Debug, Message = "Hub call {Method} refused: {Error}")]
    private static partial void Refused(ILogger logger, string method, VisitError error);
}
