using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

/// <summary>
/// Failover, as a patient lives it: the nurse is on server A, the patient on server V, admitted, and
/// has sent a chat message that was acknowledged. V is killed with SIGKILL. The patient's app connects
/// again (to A, as a load balancer would send it) and calls BeginVisit until its seat is back as
/// admitted, without knocking; the time from the kill to that answer is the failover time. The chat
/// history must come back with the message. A new V joins the cluster for every trial; the visit's
/// grain is wherever Orleans placed it, so some trials lose the server that ran the visit too.
/// </summary>
internal static class Failover
{
    public sealed record Figures(double P50Seconds, double P99Seconds, double MaxSeconds, int Errors);

    public static async Task<Figures> RunAsync(ClusterServices services, string serverDll, int trials, Action<string> print)
    {
        var settings = services.NewCluster();
        await using var a = await ServerProcess.StartAsync(serverDll, [.. settings(), "--Demo:Seed", "true", "--Demo:LoadTestVisits", trials.ToString(CultureInfo.InvariantCulture)]);
        var times = new List<double>();
        var errors = 0;
        print($"[failover] server A ready on {a.Url}; {trials} trials, each with a new server V that is killed");
        for (var k = 0; k < trials; k++)
        {
            try
            {
                var seconds = await TrialAsync(a, settings, serverDll, k);
                times.Add(seconds);
                print($"[failover] trial {k + 1}: seat resumed as admitted {seconds:0.000} s after the kill, chat history complete");
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or HubException or HttpRequestException)
            {
                errors++;
                print($"[failover] trial {k + 1} FAILED: {ex.Message}");
            }
        }

        times.Sort();
        double At(double p) => times.Count == 0 ? double.NaN : times[Math.Min(times.Count - 1, (int)Math.Floor(p / 100 * times.Count))];
        var figures = new Figures(At(50), At(99), times.Count == 0 ? double.NaN : times[^1], errors);
        print("");
        print($"Failover from SIGKILL of the patient's server to the seat resumed ({times.Count} of {trials} trials)");
        print($"  p50 {figures.P50Seconds:0.000} s, p99 {figures.P99Seconds:0.000} s, max {figures.MaxSeconds:0.000} s, failed trials {errors}");
        return figures;
    }

    private static async Task<double> TrialAsync(ServerProcess a, Func<string[]> settings, string serverDll, int k)
    {
        var timeout = TimeSpan.FromSeconds(30);
        await using var v = await ServerProcess.StartAsync(serverDll, settings());
        var appointment = $"bench-appt-{k}";
        await using var nurse = await ConnectAsync(a.Url, $"bench-pro-{k}");
        var patient = await ConnectAsync(v.Url, $"bench-pat-{k}");
        var admitted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        string? seat = null;
        patient.On<JsonElement>("VisitState", s =>
        {
            if (seat is not null && s.GetProperty("participants").EnumerateArray().Any(p => p.GetProperty("participantId").GetString() == seat && p.GetProperty("state").GetString() == "admitted"))
            {
                admitted.TrySetResult();
            }
        });
        var knocked = await patient.InvokeAsync<JsonElement>("BeginVisit", appointment, null);
        seat = knocked.GetProperty("participantId").GetString();
        var visitId = knocked.GetProperty("visitId").GetString();
        await nurse.InvokeAsync<JsonElement>("BeginVisit", appointment, null);
        await nurse.InvokeAsync("Admit", visitId, seat);
        await admitted.Task.WaitAsync(timeout);
        var text = $"Sent before server V died ({k})";
        await patient.InvokeAsync<JsonElement>("SendChat", visitId, $"before-{k}", text);

        v.Kill();
        var clock = Stopwatch.StartNew();
        await patient.DisposeAsync();
        await using var back = await ConnectAsync(a.Url, $"bench-pat-{k}");
        var history = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        back.On<JsonElement>("ChatMessage", m =>
        {
            if (m.GetProperty("text").GetString() == text)
            {
                history.TrySetResult();
            }
        });
        while (true)
        {
            try
            {
                var resumed = await back.InvokeAsync<JsonElement>("BeginVisit", appointment, null);
                if (resumed.GetProperty("participantId").GetString() != seat || resumed.GetProperty("state").GetString() != "admitted")
                {
                    throw new InvalidOperationException($"resumed as {resumed.GetProperty("state").GetString()} in seat {resumed.GetProperty("participantId").GetString()}, not the admitted seat {seat}");
                }

                break;
            }
            catch (HubException) when (clock.Elapsed < timeout)
            {
                // The visit is moving to another server: the app tries again shortly.
                await Task.Delay(100);
            }
        }

        var seconds = clock.Elapsed.TotalSeconds;
        await history.Task.WaitAsync(TimeSpan.FromSeconds(10));
        return seconds;
    }

    private static async Task<HubConnection> ConnectAsync(string baseUrl, string personId)
    {
        using var http = new HttpClient();
        var response = await http.PostAsJsonAsync(new Uri(baseUrl + "/api/dev/token"), new { personId });
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString();
        var connection = new HubConnectionBuilder()
            .WithUrl(baseUrl + "/hubs/visit", o =>
            {
                o.AccessTokenProvider = () => Task.FromResult(token);
                o.SkipNegotiation = true;
                o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets;
            })
            .Build();
        await connection.StartAsync();
        return connection;
    }
}
