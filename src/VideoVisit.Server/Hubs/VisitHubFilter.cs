using Microsoft.AspNetCore.SignalR;
using VideoVisit.Server.Cluster;
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
            // A refusal is the rules working, not a fault: one line, no stack trace (SignalR's own Error
            // line for it is filtered out in LoggingExtensions). A refused right is worth an operator's eye.
            if (refused.Error == VisitError.Forbidden)
            {
                Forbidden(log, invocationContext.HubMethodName, refused.Error);
            }
            else if (refused.Error == VisitError.Unavailable)
            {
                Unavailable(log, invocationContext.HubMethodName, refused.InnerException);
            }
            else
            {
                Refused(log, invocationContext.HubMethodName, refused.Error);
            }

            throw new HubException(refused.Message, refused);
        }
        catch (Exception moving) when (VisitMoving.Is(moving))
        {
            // The server running the visit is gone and the cluster has not yet moved it: the same call
            // succeeds again in a few seconds (the web app retries its resume).
            Unavailable(log, invocationContext.HubMethodName, moving);
            throw new HubException(MovingMessage, moving);
        }
    }

    /// <summary>What the caller hears while a visit moves to another server.</summary>
    public const string MovingMessage = "The visit is moving to another server. Please try again in a moment.";

    [LoggerMessage(EventId = 4001, EventName = "HubCallRefused", Level = LogLevel.Debug, Message = "Hub call {Method} refused: {Error}")]
    private static partial void Refused(ILogger logger, string method, VisitError error);

    [LoggerMessage(EventId = 4003, EventName = "HubCallForbidden", Level = LogLevel.Information, Message = "Hub call {Method} refused: {Error}")]
    private static partial void Forbidden(ILogger logger, string method, VisitError error);

    [LoggerMessage(EventId = 4004, EventName = "HubCallUnavailable", Level = LogLevel.Warning, Message = "Hub call {Method} failed for a moment; the caller may try again")]
    private static partial void Unavailable(ILogger logger, string method, Exception? exception);
}
