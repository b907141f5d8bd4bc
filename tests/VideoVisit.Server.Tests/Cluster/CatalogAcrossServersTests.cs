using System.Net;
using System.Text.Json;
using VideoVisit.Server.Tests.Fhir;
using VideoVisit.Server.Tests.Integration;
using VideoVisit.Server.Tests.Store;
using VideoVisit.Testing;

namespace VideoVisit.Server.Tests.Cluster;

/// <summary>
/// Two servers on one PostgreSQL database: each caches people, rights and appointments, and a FHIR write
/// goes through one of them. With <c>ConnectionStrings:Redis</c> (a real Debian redis-server) the other
/// server forgets what the write changed within seconds; without it, it keeps serving what it cached
/// (the control), until its cache lifetime (<c>Data:CatalogCacheSeconds</c>) runs out.
/// </summary>
[Collection(OnPostgres.Name)]
public sealed class CatalogAcrossServersTests(PostgresFixture postgres)
{
    /// <summary>Generous for a loaded 2-core machine; the message itself takes milliseconds.</summary>
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(15);

    /// <summary>How long the control keeps looking for the change that must not come.</summary>
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(3);

    private static string NewId(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..10];

    [Fact]
    public async Task AnAppointmentCancelledThroughOneServerCannotBeBegunOnTheOther()
    {
        await using var redis = await RedisInstance.StartAsync();
        var database = PostgresInstance.NewDatabaseName();
        await using var a = await VisitServer.StartAsync(Settings(database, redis));
        await using var b = await VisitServer.StartAsync(Settings(database, redis));
        var (pat, _, appt) = await PatientWithAppointmentAsync(a);
        await using var patient = await b.ConnectAsync(pat);
        await BeginAndLeaveAsync(patient, appt);

        await CancelAsync(a, pat, appt);

        var refused = await EventuallyAsync(async () =>
        {
            try
            {
                var begun = await patient.InvokeAsync("BeginVisit", appt, null);
                await patient.InvokeAsync("LeaveVisit", begun.Str("visitId"));
                return null;
            }
            catch (HubCallFailedException e)
            {
                return e.Message;
            }
        });
        Assert.Contains("cancelled", refused, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARepresentationRevokedThroughOneServerNoLongerGrantsOnTheOther()
    {
        await using var redis = await RedisInstance.StartAsync();
        var database = PostgresInstance.NewDatabaseName();
        await using var a = await VisitServer.StartAsync(Settings(database, redis));
        await using var b = await VisitServer.StartAsync(Settings(database, redis));
        var (pat, rep, appt) = await PatientWithAppointmentAsync(a);
        var token = await b.TokenAsync(rep);
        Assert.True(await RepresentsAsync(b, token, pat), "B lists the representation before the write");
        Assert.True(await SeesAsync(b, token, appt), "B lists the represented patient's appointment before the write");

        await RevokeAsync(a, pat, rep);

        await EventuallyAsync(async () => await RepresentsAsync(b, token, pat) ? null : "gone");
        Assert.False(await SeesAsync(b, token, appt));
        await using var representative = await b.ConnectAsync(rep);
        var refused = await representative.InvokeExpectingErrorAsync("BeginVisit", appt, pat);
        Assert.Contains("not yours", refused, StringComparison.Ordinal);
    }

    /// <summary>The control: the same servers without Redis. B keeps what it cached, so the two tests above need the message.</summary>
    [Fact]
    public async Task WithoutRedisTheOtherServerKeepsTheRevokedRepresentationAndTheCancelledAppointment()
    {
        var database = PostgresInstance.NewDatabaseName();
        await using var a = await VisitServer.StartAsync(Settings(database, redis: null));
        await using var b = await VisitServer.StartAsync(Settings(database, redis: null));
        var (pat, rep, appt) = await PatientWithAppointmentAsync(a);
        var token = await b.TokenAsync(rep);
        Assert.True(await RepresentsAsync(b, token, pat));
        await using var patient = await b.ConnectAsync(pat);
        await BeginAndLeaveAsync(patient, appt);

        await RevokeAsync(a, pat, rep);
        await CancelAsync(a, pat, appt);

        var until = DateTime.UtcNow + Quiet;
        while (DateTime.UtcNow < until)
        {
            Assert.True(await RepresentsAsync(b, token, pat), "without the message B must still serve the representation it cached");
            await Task.Delay(250);
        }

        // And it still opens the cancelled appointment's visit: what a cluster without the channel would do.
        Assert.Equal("waiting", (await patient.InvokeAsync("BeginVisit", appt, null)).Str("state"));
    }

    /// <summary>What bounds a lost message (Redis away when the write was published): the cache lifetime.</summary>
    [Fact]
    public async Task WithoutAMessageACachedRightStillEndsWithinTheCacheLifetime()
    {
        var database = PostgresInstance.NewDatabaseName();
        var settings = Settings(database, redis: null);
        settings["Data:CatalogCacheSeconds"] = "2";
        await using var a = await VisitServer.StartAsync(settings);
        await using var b = await VisitServer.StartAsync(settings);
        var (pat, rep, _) = await PatientWithAppointmentAsync(a);
        var token = await b.TokenAsync(rep);
        Assert.True(await RepresentsAsync(b, token, pat));

        await RevokeAsync(a, pat, rep);

        await EventuallyAsync(async () => await RepresentsAsync(b, token, pat) ? null : "expired");
    }

    private static async Task<(string Patient, string Representative, string Appointment)> PatientWithAppointmentAsync(VisitServer a)
    {
        var ehr = await FhirClient.ForClientAsync(a);
        var pat = NewId("pat");
        var rep = NewId("rep");
        var appt = NewId("appt");
        var answer = await ehr.PostAsync("/fhir", Example.Transaction(
            Example.Entry("PUT", $"Patient/{pat}", Example.Patient(pat, "Cita", "Cluster")),
            Example.Entry("PUT", $"RelatedPerson/{rep}", Example.Related(rep, pat, "appointments-and-messages", name: "Rasmus Rep")),
            Example.Entry("PUT", $"Appointment/{appt}", Example.Appointment(appt, DateTimeOffset.UtcNow.AddMinutes(5), TimeSpan.FromMinutes(30), "nurse-1", "booked", pat))));
        Assert.True(answer.Status == HttpStatusCode.OK, answer.Body.ToString());
        return (pat, rep, appt);
    }

    /// <summary>B reads (and caches) the appointment: the patient knocks there, then leaves.</summary>
    private static async Task BeginAndLeaveAsync(HubClient patient, string appt)
    {
        var begun = await patient.InvokeAsync("BeginVisit", appt, null);
        Assert.Equal("waiting", begun.Str("state"));
        await patient.InvokeAsync("LeaveVisit", begun.Str("visitId"));
    }

    private static async Task CancelAsync(VisitServer a, string pat, string appt)
    {
        var ehr = await FhirClient.ForClientAsync(a);
        var answer = await ehr.PutAsync($"/fhir/Appointment/{appt}", Example.Appointment(appt, DateTimeOffset.UtcNow.AddMinutes(5), TimeSpan.FromMinutes(30), "nurse-1", "cancelled", pat));
        Assert.True(answer.Status == HttpStatusCode.OK, answer.Body.ToString());
    }

    private static async Task RevokeAsync(VisitServer a, string pat, string rep)
    {
        var ehr = await FhirClient.ForClientAsync(a);
        var answer = await ehr.PutAsync($"/fhir/RelatedPerson/{rep}", Example.Related(rep, pat, "appointments-and-messages", active: false, name: "Rasmus Rep"));
        Assert.True(answer.Status == HttpStatusCode.OK, answer.Body.ToString());
    }

    private static async Task<bool> RepresentsAsync(VisitServer server, string token, string pat)
    {
        var me = await server.GetJsonAsync("/api/me", token);
        return me.GetProperty("represents").EnumerateArray().Any(r => r.Str("personId") == pat);
    }

    private static async Task<bool> SeesAsync(VisitServer server, string token, string appt)
    {
        var upcoming = await server.GetJsonAsync("/api/appointments/upcoming", token);
        return upcoming.EnumerateArray().Any(x => x.Str("id") == appt);
    }

    /// <summary>Asks again (every 200 ms) until <paramref name="probe"/> gives an answer; fails after <see cref="Within"/>.</summary>
    private static async Task<string> EventuallyAsync(Func<Task<string?>> probe)
    {
        var deadline = DateTime.UtcNow + Within;
        while (true)
        {
            if (await probe() is { } answer)
            {
                return answer;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the other server still served the old catalog after {Within.TotalSeconds} s");
            await Task.Delay(200);
        }
    }

    private Dictionary<string, string?> Settings(string database, RedisInstance? redis)
    {
        var settings = StoreSettings.PostgreSql(postgres.Instance, database);
        // Long enough that only the message can make B forget within these tests (the last test sets its own).
        settings["Data:CatalogCacheSeconds"] = "600";
        if (redis is not null)
        {
            settings["ConnectionStrings:Redis"] = redis.ConnectionString;
        }

        return settings;
    }
}
