using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;
using Npgsql;
using VideoVisit.EndToEnd.Tests.Browsers;
using VideoVisit.Testing;
using static VideoVisit.EndToEnd.Tests.WebApp.WebAppDriver;

namespace VideoVisit.EndToEnd.Tests.WebApp;

/// <summary>
/// Two servers of one cluster (PostgreSQL, Redis and Orleans between them) behind a real load balancer
/// (Debian's haproxy, round robin, no sticky sessions). The patient and the nurse open the app through
/// the balancer and end up on different servers; they have a call with video both ways. The nurse's
/// server is killed with SIGKILL: the video goes on (it flows between the browsers), the nurse's page
/// reconnects through the balancer to the other server and resumes the same seat, and chat carries on.
/// </summary>
[Trait("Category", "WebApp")]
public sealed class LoadBalancerFailoverTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    [Fact]
    public async Task TheNursesServerDiesAndTheCallGoesOnThroughTheOtherServer()
    {
        await using var postgres = await PostgresInstance.StartAsync();
        await using var redis = await RedisInstance.StartAsync();
        await using var cluster = await ServerCluster.StartAsync(postgres, redis, 2);
        await using var balancer = await HaproxyInstance.StartAsync(cluster.Servers.Select(s => s.BaseAddress));
        await using var patientContext = await NewContextAsync(chromium.Browser);
        await using var nurseContext = await NewContextAsync(chromium.Browser);
        var seen = new List<string>();
        foreach (var (who, context) in new[] { ("patient", patientContext), ("nurse", nurseContext) })
        {
            context.Console += (_, m) => { lock (seen) { seen.Add($"{who} console {m.Type}: {m.Text}"); } };
            context.Response += (_, r) => { if (r.Status >= 400) { lock (seen) { seen.Add($"{who} {r.Status} {r.Request.Method} {r.Url} via {r.Headers.GetValueOrDefault("x-served-by")}"); } } };
            context.RequestFailed += (_, r) => { lock (seen) { seen.Add($"{who} failed {r.Method} {r.Url}: {r.Failure}"); } };
        }

        try
        {
            await CallThroughTheBalancerAsync(postgres, cluster, balancer, patientContext, nurseContext);
        }
        catch (Exception e) when (e is TimeoutException or Xunit.Sdk.XunitException or PlaywrightException)
        {
            string log;
            lock (seen)
            {
                log = string.Join("\n", seen.TakeLast(60));
            }

            throw new InvalidOperationException($"{e.Message}\nWhat the pages saw:\n{log}\nhaproxy:\n{balancer.Output}\nservers:\n{cluster.Describe(20)}", e);
        }
    }

    private static async Task CallThroughTheBalancerAsync(PostgresInstance postgres, ServerCluster cluster, HaproxyInstance balancer, IBrowserContext patientContext, IBrowserContext nurseContext)
    {
        var patient = await OpenAsAsync(patientContext, balancer.BaseAddress, "patient-1", "/visit/appt-1");
        await BeginVideoVisitAsync(patient);
        var nurse = await OpenConsoleVisitAsync(nurseContext, balancer.BaseAddress, "nurse-1", "appt-1");
        await nurse.ClickAsync("[data-testid=admit-button]", new() { Timeout = WaitMs });
        await Task.WhenAll(WaitForRemoteVideosPlayingAsync(patient, 1), WaitForRemoteVideosPlayingAsync(nurse, 1));

        // Round robin without stickiness decides where each page's hub connection lands; the visit's
        // stored seats say which server holds each. Until they differ, the nurse opens the console again.
        // (The pages' failures are only collected to explain a failed run.)
        var (nurseServer, patientServer) = await ServersOfAsync(postgres, cluster);
        using var nudge = new HttpClient { BaseAddress = balancer.BaseAddress };
        for (var tries = 0; nurseServer == patientServer && tries < 8; tries++)
        {
            // A page load makes the same number of requests each time, so one more request shifts
            // which server the round robin gives the next hub connection.
            (await nudge.GetAsync(new Uri("/readyz", UriKind.Relative))).Dispose();
            await nurse.ReloadAsync(new() { Timeout = WaitMs });
            await nurse.Locator("[data-testid=console-visit][data-visit-phase=admitted]").WaitForAsync(new() { Timeout = WaitMs });
            await WaitForRemoteVideosPlayingAsync(nurse, 1);
            (nurseServer, patientServer) = await ServersOfAsync(postgres, cluster);
        }

        Assert.True(nurseServer != patientServer, $"the nurse and the patient stayed on the same server ({nurseServer})");
        await SendChatAsync(nurse, "Before the server died");
        await WaitForChatAsync(patient, "Before the server died");

        await cluster[nurseServer].KillAsync();

        // The media flows between the browsers: both keep playing while the nurse's page finds the other server.
        await Task.WhenAll(WaitForRemoteVideosPlayingAsync(patient, 1), WaitForRemoteVideosPlayingAsync(nurse, 1));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await ServersOfAsync(postgres, cluster)).Nurse != patientServer)
        {
            Assert.True(DateTime.UtcNow < deadline, "the nurse's seat did not move to the surviving server within 60 s:\n" + cluster.Describe());
            await Task.Delay(250);
        }

        await SendChatAsync(nurse, "After the server died");
        await WaitForChatAsync(patient, "After the server died");
        await SendChatAsync(patient, "Still here");
        await WaitForChatAsync(nurse, "Still here");
        await Task.WhenAll(WaitForRemoteVideosPlayingAsync(patient, 1), WaitForRemoteVideosPlayingAsync(nurse, 1));
        Assert.Equal(0, await nurse.Locator("[data-testid=hub-reconnecting]").CountAsync());
    }

    /// <summary>Which server (index in the cluster) holds the nurse's and the patient's connection, from the visit's stored seats.</summary>
    private static async Task<(int Nurse, int Patient)> ServersOfAsync(PostgresInstance postgres, ServerCluster cluster)
    {
        await using var connection = new NpgsqlConnection(postgres.ConnectionString(cluster.Database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""SELECT "Seats" FROM "Visits" WHERE "AppointmentId" = 'appt-1' AND "Seats" IS NOT NULL""", connection);
        var json = (string?)await command.ExecuteScalarAsync() ?? "[]";
        using var seats = JsonDocument.Parse(json);
        int ServerOf(string personId)
        {
            var seat = seats.RootElement.EnumerateArray().FirstOrDefault(s => s.GetProperty("actor").GetProperty("id").GetString() == personId);
            var server = seat.ValueKind == JsonValueKind.Object && seat.TryGetProperty("server", out var s) ? s.GetString() : null;
            for (var i = 0; i < cluster.Servers.Count; i++)
            {
                // A silo address reads "127.0.0.1:<silo port>@<generation>".
                var siloPort = cluster[i].Settings["Cluster:SiloPort"];
                if (server is not null && server.Contains(":" + siloPort + "@", StringComparison.Ordinal))
                {
                    return i;
                }
            }

            return -1;
        }

        return (ServerOf("nurse-1"), ServerOf("patient-1"));
    }
}
