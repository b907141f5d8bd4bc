using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using VideoVisit.EndToEnd.Tests.Browsers;
using VideoVisit.Testing;
using static VideoVisit.EndToEnd.Tests.WebApp.WebAppDriver;

namespace VideoVisit.EndToEnd.Tests.Fhir;

/// <summary>
/// The clinic's system writes through FHIR and open pages follow at once (hub push, not a reload:
/// the pages' own re-read runs every 30 s, and these tests wait far less).
/// </summary>
[Trait("Category", "WebApp")]
[Trait("Engine", "Chromium")]
public sealed class FhirLiveWebTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>Well under the page's 30 s re-read: what appears within this came by push.</summary>
    private const float PushMs = 10_000;

    [Fact]
    public async Task APutMakesThePatientsOpenUpcomingPageShowTheAppointment()
    {
        await using var server = await RunningServer.StartAsync();
        using var ehr = await EhrAsync(server);
        await PutAsync(ehr, "Patient/web-pat-1", """{"resourceType":"Patient","id":"web-pat-1","name":[{"given":["Ulla"],"family":"Upcoming"}],"birthDate":"1979-09-09"}""");
        await using var context = await NewContextAsync(chromium.Browser);
        var page = await context.NewPageAsync();
        var hubReady = HubHandshakeAsync(page);

        await page.GotoAsync(new Uri(server.BaseAddress, "/upcoming?as=web-pat-1").ToString(), new() { Timeout = WaitMs });
        await page.Locator("[data-testid=upcoming]").GetByText("No upcoming", new() { Exact = false }).WaitForAsync(new() { Timeout = WaitMs });
        await hubReady.WaitAsync(Timeout);

        var start = DateTimeOffset.UtcNow.AddMinutes(5);
        await PutAsync(ehr, "Appointment/web-appt-1", Appointment("web-appt-1", start, "booked", "web-pat-1"));

        var item = page.Locator("[data-testid=appointment-web-appt-1]");
        await item.WaitForAsync(new() { Timeout = PushMs });
        Assert.Equal("true", await item.GetAttributeAsync("data-can-begin", new() { Timeout = WaitMs }));
        Assert.Contains("Nora Nurse", await item.InnerTextAsync(new() { Timeout = WaitMs }), StringComparison.Ordinal);

        // Moved: the Begin window moves with it, at once.
        await PutAsync(ehr, "Appointment/web-appt-1", Appointment("web-appt-1", start.AddDays(1), "booked", "web-pat-1"));
        await page.Locator("[data-testid=appointment-web-appt-1][data-can-begin=false]").WaitForAsync(new() { Timeout = PushMs });

        // Cancelled: Begin visit is gone, with the reason.
        await PutAsync(ehr, "Appointment/web-appt-1", Appointment("web-appt-1", start, "cancelled", "web-pat-1"));
        await page.Locator("[data-testid=appointment-web-appt-1][data-status=cancelled] [data-testid=appointment-cancelled]").WaitForAsync(new() { Timeout = PushMs });
        Assert.True(await page.Locator("[data-testid=appointment-web-appt-1] [data-testid=begin-visit]").IsDisabledAsync(new() { Timeout = WaitMs }));
    }

    [Fact]
    public async Task ACancellationEndsAnOpenVisitInFrontOfBothBrowsers()
    {
        await using var server = await RunningServer.StartAsync();
        using var ehr = await EhrAsync(server);
        await PutAsync(ehr, "Patient/web-pat-2", """{"resourceType":"Patient","id":"web-pat-2","name":[{"given":["Veikko"],"family":"Visit"}],"birthDate":"1966-02-02"}""");
        var start = DateTimeOffset.UtcNow.AddMinutes(5);
        await PutAsync(ehr, "Appointment/web-appt-2", Appointment("web-appt-2", start, "booked", "web-pat-2"));
        await using var patientContext = await NewContextAsync(chromium.Browser);
        await using var nurseContext = await NewContextAsync(chromium.Browser);

        var patient = await OpenAsAsync(patientContext, server, "web-pat-2", "/visit/web-appt-2");
        await BeginVideoVisitAsync(patient);
        var nurse = await OpenConsoleVisitAsync(nurseContext, server, "nurse-1", "web-appt-2");
        var row = nurse.Locator("[data-testid=participant-row][data-state=waiting]");
        await row.WaitForAsync(new() { Timeout = WaitMs });
        await row.Locator("[data-testid=admit-button]").ClickAsync(new() { Timeout = WaitMs });
        await patient.Locator("[data-testid=call]").WaitForAsync(new() { Timeout = WaitMs });

        await PutAsync(ehr, "Appointment/web-appt-2", Appointment("web-appt-2", start, "cancelled", "web-pat-2"));

        foreach (var page in new[] { patient, nurse })
        {
            var over = page.Locator("[data-testid=visit-over][data-reason=appointment-cancelled]");
            await over.WaitForAsync(new() { Timeout = PushMs });
            Assert.Contains("the appointment was cancelled", await over.InnerTextAsync(new() { Timeout = WaitMs }), StringComparison.Ordinal);
        }

        await patient.Locator("[data-testid=call]").WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = WaitMs });
    }

    [Fact]
    public async Task TheProfessionalsConsoleListFollowsABookingAndACancellation()
    {
        await using var server = await RunningServer.StartAsync();
        using var ehr = await EhrAsync(server);
        await PutAsync(ehr, "Patient/web-pat-3", """{"resourceType":"Patient","id":"web-pat-3","name":[{"given":["Cecilia"],"family":"Console"}],"birthDate":"1983-03-03"}""");
        await using var context = await NewContextAsync(chromium.Browser);
        var page = await context.NewPageAsync();
        var hubReady = HubHandshakeAsync(page);

        await page.GotoAsync(new Uri(server.BaseAddress, "/console?as=nurse-1").ToString(), new() { Timeout = WaitMs });
        await page.Locator("[data-testid=console] h2").WaitForAsync(new() { Timeout = WaitMs });
        await page.Locator("[data-testid=console] [role=status]").WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = WaitMs });
        await hubReady.WaitAsync(Timeout);
        var item = page.Locator("[data-testid=console-appointment-web-appt-3]");
        Assert.Equal(0, await item.CountAsync());

        // Starting now, so it is today's whatever the hour.
        var start = DateTimeOffset.UtcNow;
        await PutAsync(ehr, "Appointment/web-appt-3", Appointment("web-appt-3", start, "booked", "web-pat-3"));
        await item.Locator("[data-testid=open-visit]").WaitForAsync(new() { Timeout = PushMs });
        Assert.Contains("Cecilia Console", await item.InnerTextAsync(new() { Timeout = WaitMs }), StringComparison.Ordinal);

        await PutAsync(ehr, "Appointment/web-appt-3", Appointment("web-appt-3", start, "cancelled", "web-pat-3"));
        await page.Locator("[data-testid=console-appointment-web-appt-3][data-status=cancelled] [data-testid=appointment-cancelled]").WaitForAsync(new() { Timeout = PushMs });
        Assert.Equal(0, await item.Locator("[data-testid=open-visit]").CountAsync());
    }

    /// <summary>Completes when the page's SignalR connection has its handshake answer (so pushes can reach it).</summary>
    private static Task HubHandshakeAsync(IPage page)
    {
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        page.WebSocket += (_, socket) =>
        {
            if (socket.Url.Contains("/hubs/visit", StringComparison.Ordinal))
            {
                socket.FrameReceived += (_, _) => ready.TrySetResult();
            }
        };
        return ready.Task;
    }

    private static string Appointment(string id, DateTimeOffset start, string status, string patient) =>
        "{\"resourceType\":\"Appointment\",\"id\":\"" + id + "\",\"status\":\"" + status + "\",\"start\":\"" + Instant(start) + "\",\"end\":\"" + Instant(start.AddMinutes(30))
        + "\",\"participant\":[{\"actor\":{\"reference\":\"Patient/" + patient + "\"},\"status\":\"accepted\"},{\"actor\":{\"reference\":\"Practitioner/nurse-1\"},\"status\":\"accepted\"}]}";

    private static string Instant(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static async Task<HttpClient> EhrAsync(RunningServer server)
    {
        var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = Timeout };
        using var response = await http.PostAsJsonAsync("/api/dev/token", new { clientId = "demo-ehr" }).WaitAsync(Timeout);
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync().WaitAsync(Timeout));
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", body.RootElement.GetProperty("accessToken").GetString());
        return http;
    }

    private static async Task PutAsync(HttpClient ehr, string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/fhir+json");
        using var response = await ehr.PutAsync("/fhir/" + path, content).WaitAsync(Timeout);
        var text = await response.Content.ReadAsStringAsync().WaitAsync(Timeout);
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created, $"PUT {path}: {(int)response.StatusCode} {text}");
    }
}
