using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using VideoVisit.Server.Tests.Store;
using VideoVisit.Testing;

namespace VideoVisit.Server.Tests.Cluster;

/// <summary>
/// Two server processes behind a real haproxy (configured by <see cref="HaproxyInstance"/>, no stickiness):
/// requests reach both; SignalR's default client (negotiate first, then WebSockets or a fallback: the web
/// app's second try) connects through it every time, since hub requests keep to one server per client
/// address (with plain round robin the same clients get 404 on every transport);
/// a server killed with SIGKILL is taken out within seconds and requests keep succeeding; started again,
/// it is taken back.
/// </summary>
[Collection(OnPostgres.Name)]
public sealed class LoadBalancerTests(PostgresFixture postgres)
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task RequestsReachBothServersNegotiatingClientsConnectAndRequestsKeepSucceedingWhenOneIsKilled()
    {
        await using var redis = await RedisInstance.StartAsync();
        await using var cluster = await ServerCluster.StartAsync(postgres.Instance, redis, 2);
        await using var balancer = await HaproxyInstance.StartAsync(cluster.Servers.Select(s => s.BaseAddress), hubAffinity: true);
        using var http = new HttpClient { BaseAddress = balancer.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var first = HaproxyInstance.BackendName(0);
        var second = HaproxyInstance.BackendName(1);
        await balancer.WaitForStateAsync(first, up: true, Within);
        await balancer.WaitForStateAsync(second, up: true, Within);

        // Round robin with no stickiness: ten requests, both servers.
        var servedBy = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            servedBy.Add(await ServedByAsync(http));
        }

        Assert.True(servedBy.Contains(first) && servedBy.Contains(second), "served by " + string.Join(",", servedBy) + "\n" + balancer.Output);

        // Negotiate, then the transport with the id the negotiating server gave (the web app's fallback).
        var token = await cluster[0].TokenAsync("patient-1");
        for (var i = 0; i < 6; i++)
        {
            await using var connection = new HubConnectionBuilder()
                .WithUrl(new Uri(balancer.BaseAddress, "/hubs/visit"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
                .Build();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await connection.StartAsync(timeout.Token);
            var begun = await connection.InvokeAsync<JsonElement>("BeginVisit", "appt-1", null, timeout.Token);
            Assert.Equal("waiting", begun.GetProperty("state").GetString());
        }

        await cluster[0].KillAsync();

        // Within a few seconds every request succeeds, and all on the survivor.
        var deadline = DateTime.UtcNow + Within;
        var inARow = 0;
        var failed = 0;
        while (inARow < 20)
        {
            Assert.True(DateTime.UtcNow < deadline, $"requests through the balancer did not settle on the surviving server ({failed} failed, {inARow} in a row)\n{balancer.Output}\n{cluster.Describe()}");
            try
            {
                Assert.Equal(second, await ServedByAsync(http));
                inARow++;
            }
            catch (HttpRequestException)
            {
                failed++;
                inARow = 0;
            }
        }

        await balancer.WaitForStateAsync(first, up: false, Within);

        // Started again on the same port and settings: the health check takes it back into the rotation.
        await cluster[0].StartAgainAsync();
        await balancer.WaitForStateAsync(first, up: true, Within);
        servedBy.Clear();
        for (var i = 0; i < 10; i++)
        {
            servedBy.Add(await ServedByAsync(http));
        }

        Assert.Contains(first, servedBy);
        Assert.Contains(second, servedBy);
    }

    private static async Task<string> ServedByAsync(HttpClient http)
    {
        using var response = await http.GetAsync("/healthz");
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{(int)response.StatusCode} from the balancer");
        }

        return response.Headers.GetValues(HaproxyInstance.ServedByHeader).Single();
    }
}
