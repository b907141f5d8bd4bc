using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Hubs;

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
