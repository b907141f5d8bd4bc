using Microsoft.Extensions.Diagnostics.HealthChecks;
using VideoVisit.Media.Hosting;

namespace VideoVisit.Server.Hosting;

internal static class RelayExtensions
{
    /// <summary>
    /// The STUN/TURN relay from VideoVisit.Media as a hosted service (<c>Turn:*</c> settings), with
    /// its readiness in <c>/readyz</c>. <c>Turn:Enabled=false</c> leaves relaying to a separate relay process.
    /// </summary>
    public static WebApplicationBuilder AddVideoVisitRelay(this WebApplicationBuilder builder)
    {
        builder.Services.AddTurnRelay();
        builder.AddTurnOnHttpsPort();
        builder.Services.AddHealthChecks().AddCheck<RelayHealthCheck>("relay", tags: [HealthExtensions.ReadyTag]);
        return builder;
    }

    private sealed class RelayHealthCheck(TurnRelayStatus status) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(status.State switch
            {
                TurnRelayState.Ready => HealthCheckResult.Healthy($"{status.ActiveAllocations} allocations"),
                TurnRelayState.Disabled => HealthCheckResult.Healthy("relay disabled (Turn:Enabled=false)"),
                _ => HealthCheckResult.Unhealthy(status.Failure ?? "relay " + status.State),
            });
    }
}
