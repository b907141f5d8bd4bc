using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VideoVisit.Media.Hosting;
using VideoVisit.Media.Stun;
using VideoVisit.Media.Tests.Support;

namespace VideoVisit.Media.Tests.Hosting;

public sealed class TurnRelayHostingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddTurnRelay();
        return builder.Build();
    }

    [Fact]
    public async Task TheHostedRelayListensAnswersAndReportsReady()
    {
        using var host = Build(new() { ["Turn:ListenAddress"] = "127.0.0.1", ["Turn:ListenPort"] = "0", ["Turn:SharedSecret"] = "s" });
        await host.StartAsync().WaitAsync(Timeout);
        var status = host.Services.GetRequiredService<TurnRelayStatus>();
        Assert.Equal(TurnRelayState.Ready, status.State);
        Assert.True(status.IsHealthy);
        Assert.Equal(status.UdpEndPoint!.Port, status.TcpEndPoint!.Port);

        using var client = TestClient.Udp(status.UdpEndPoint);
        Assert.True((await client.RequestAsync(StunBuilder.Build(StunMethod.Binding, StunClass.Request))).IsSuccess);
        var (user, password) = TurnRestCredentials.Issue("s", "patient-1", DateTimeOffset.UtcNow.AddHours(1));
        Assert.True((await client.AllocateAsync(user, password)).Response.IsSuccess);
        Assert.Equal(1, status.ActiveAllocations);
        Assert.Equal(1, status.Counters.AllocationsCreated);
        await host.StopAsync().WaitAsync(Timeout);
        Assert.Equal(TurnRelayState.Stopped, status.State);
    }

    [Fact]
    public async Task AnEmptySharedSecretIsGeneratedOnceAndSharedWithTheOptionsEveryoneReads()
    {
        using var host = Build(new() { ["Turn:ListenAddress"] = "127.0.0.1", ["Turn:ListenPort"] = "0" });
        await host.StartAsync().WaitAsync(Timeout);
        var secret = host.Services.GetRequiredService<IOptions<TurnOptions>>().Value.SharedSecret;
        Assert.False(string.IsNullOrEmpty(secret));
        Assert.Equal(secret, host.Services.GetRequiredService<IOptionsMonitor<TurnOptions>>().CurrentValue.SharedSecret);
        using (var scope = host.Services.CreateScope())
        {
            Assert.Equal(secret, scope.ServiceProvider.GetRequiredService<IOptionsSnapshot<TurnOptions>>().Value.SharedSecret);
        }

        // Credentials signed with the options' secret (what GET /api/ice-servers hands out) are accepted.
        var status = host.Services.GetRequiredService<TurnRelayStatus>();
        using var client = TestClient.Udp(status.UdpEndPoint!);
        var (user, password) = TurnRestCredentials.Issue(secret, "patient-1", DateTimeOffset.UtcNow.AddHours(1));
        Assert.True((await client.AllocateAsync(user, password)).Response.IsSuccess);
        await host.StopAsync().WaitAsync(Timeout);
    }

    [Fact]
    public async Task TurnEnabledFalseStartsNoRelay()
    {
        using var host = Build(new() { ["Turn:Enabled"] = "false" });
        await host.StartAsync().WaitAsync(Timeout);
        var status = host.Services.GetRequiredService<TurnRelayStatus>();
        Assert.Equal(TurnRelayState.Disabled, status.State);
        Assert.True(status.IsHealthy);
        Assert.Null(status.UdpEndPoint);
        await host.StopAsync().WaitAsync(Timeout);
    }

    [Fact]
    public async Task AMisconfiguredRelayRefusesToStartNamingTheSetting()
    {
        using var host = Build(new() { ["Turn:AllowedPeers:0"] = "not-a-range", ["Turn:ListenPort"] = "0" });
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync().WaitAsync(Timeout));
        Assert.Contains("Turn:AllowedPeers", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APortInUseMarksTheRelayFailedWithoutStoppingTheHost()
    {
        using var first = Build(new() { ["Turn:ListenAddress"] = "127.0.0.1", ["Turn:ListenPort"] = "0" });
        await first.StartAsync().WaitAsync(Timeout);
        var port = first.Services.GetRequiredService<TurnRelayStatus>().UdpEndPoint!.Port;
        using var second = Build(new() { ["Turn:ListenAddress"] = "127.0.0.1", ["Turn:ListenPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        await second.StartAsync().WaitAsync(Timeout);
        var status = second.Services.GetRequiredService<TurnRelayStatus>();
        Assert.Equal(TurnRelayState.Failed, status.State);
        Assert.Contains("Turn:ListenPort", status.Failure, StringComparison.Ordinal);
        await second.StopAsync().WaitAsync(Timeout);
        await first.StopAsync().WaitAsync(Timeout);
    }
}
