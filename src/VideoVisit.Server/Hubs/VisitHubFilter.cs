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

/// <summary><see cref="IVisitNotifier"/> over the hub: each message goes to one connection.</summary>
internal sealed class HubVisitNotifier(IHubContext<VisitHub, IVisitClient> hub) : IVisitNotifier
{
    public Task VisitStateAsync(string connectionId, VisitStateSnapshot snapshot) => hub.Clients.Client(connectionId).VisitState(snapshot);

    public Task SignalAsync(string connectionId, SignalMessage message) => hub.Clients.Client(connectionId).Signal(message);

    public Task ChatMessageAsync(string connectionId, ChatMessage message) => hub.Clients.Client(connectionId).ChatMessage(message);

    public Task RemovedAsync(string connectionId, RemovedMessage message) => hub.Clients.Client(connectionId).Removed(message);

    public Task VisitEndedAsync(string connectionId, VisitEndedMessage message) => hub.Clients.Client(connectionId).VisitEnded(message);
}

/// <summary>
/// Every <see cref="VisitOptions.GraceSweepMilliseconds"/>: releases seats whose reconnection grace ran
/// out, and lets finished visits leave memory.
/// </summary>
internal sealed partial class GraceSweeper(VisitService visits, TimeProvider time, ILogger<GraceSweeper> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(visits.Options.GraceSweepMilliseconds), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var expired = await visits.SweepGraceAsync();
                if (expired > 0)
                {
                    SeatsReleased(log, expired);
                }

                await visits.EvictFinishedAsync();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "{Count} seats released after the reconnection grace")]
    private static partial void SeatsReleased(ILogger logger, int count);
}
