using System.Net;
using System.Text.Json;
using VideoVisit.Server.Tests.Fhir;
using VideoVisit.Server.Tests.Integration;
using VideoVisit.Server.Tests.Store;
using VideoVisit.Testing;

namespace VideoVisit.Server.Tests.Cluster;

/// <summary>
/// Two servers on one PostgreSQL database: with <c>ConnectionStrings:Redis</c> (the SignalR Redis
/// backplane, a real Debian redis-server) what one server sends through its hub reaches a person
/// connected to the other; without it, it does not.
/// </summary>
[Collection(OnPostgres.Name)]
public sealed class RedisBackplaneTests(PostgresFixture postgres)
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(2);

    private static string NewId(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..10];

    [Fact]
    public async Task ABookingWrittenOnOneServerReachesThePatientAndTheUnitConnectedToTheOther()
    {
        await using var redis = await RedisInstance.StartAsync();
        var database = PostgresInstance.NewDatabaseName();
        await using var a = await VisitServer.StartAsync(Settings(database, redis));
        await using var b = await VisitServer.StartAsync(Settings(database, redis));
        await using var nurse = await b.ConnectAsync("nurse-1");
        var (patient, pat, appt) = await BookThroughAWhileThePatientIsOnBAsync(a, b);

        // The patient by user id, the unit's nurse through the unit's group: both across the backplane.
        await patient.WaitForAsync("AppointmentsChanged", e => Names(e, appt));
        await nurse.WaitForAsync("AppointmentsChanged", e => Names(e, appt));

        // And B, on the same database, lists what A wrote.
        var upcoming = await b.GetJsonAsync("/api/appointments/upcoming", await b.TokenAsync(pat));
        Assert.Contains(upcoming.EnumerateArray(), x => x.GetProperty("id").GetString() == appt);
        await patient.DisposeAsync();
    }

    [Fact]
    public async Task WithoutTheBackplaneThePatientOnTheOtherServerHearsNothing()
    {
        var database = PostgresInstance.NewDatabaseName();
        await using var a = await VisitServer.StartAsync(Settings(database, redis: null));
        await using var b = await VisitServer.StartAsync(Settings(database, redis: null));
        var (patient, _, appt) = await BookThroughAWhileThePatientIsOnBAsync(a, b);

        await Task.Delay(Quiet);
        Assert.DoesNotContain(patient.Events("AppointmentsChanged"), e => Names(e, appt));
        await patient.DisposeAsync();
    }

    /// <summary>
    /// Redis dies and comes back: while it is away both servers say they are not ready (the load balancer
    /// then sends new connections nowhere they would wait in vain), the database still answers and the
    /// process is alive; once it is back they are ready again within seconds, and a booking written on one
    /// server reaches a patient connected to the other again.
    /// </summary>
    [Fact]
    public async Task WhileRedisIsAwayTheServersAreNotReadyAndWhenItIsBackTheyCarryMessagesAgain()
    {
        await using var redis = await RedisInstance.StartAsync();
        var database = PostgresInstance.NewDatabaseName();
        await using var a = await VisitServer.StartAsync(Settings(database, redis));
        await using var b = await VisitServer.StartAsync(Settings(database, redis));
        foreach (var server in new[] { a, b })
        {
            await server.WaitReadyAsync(ready: true, TimeSpan.FromSeconds(10));
        }

        await redis.KillAsync();
        foreach (var server in new[] { a, b })
        {
            var down = await server.WaitReadyAsync(ready: false, TimeSpan.FromSeconds(10));
            Assert.Equal("Unhealthy", down.GetProperty("checks").GetProperty("redis").GetString());
            Assert.Equal("Healthy", down.GetProperty("checks").GetProperty("database").GetString());
            using var alive = await server.GetAsync("/healthz", token: null);
            Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        }

        await redis.StartAgainAsync();
        foreach (var server in new[] { a, b })
        {
            await server.WaitReadyAsync(ready: true, TimeSpan.FromSeconds(30));
        }

        var (patient, _, appt) = await BookThroughAWhileThePatientIsOnBAsync(a, b);
        await patient.WaitForAsync("AppointmentsChanged", e => Names(e, appt), TimeSpan.FromSeconds(20));
        await patient.DisposeAsync();
    }

    private static async Task<(HubClient Patient, string PatientId, string Appointment)> BookThroughAWhileThePatientIsOnBAsync(VisitServer a, VisitServer b)
    {
        var ehr = await FhirClient.ForClientAsync(a);
        var pat = NewId("pat");
        var appt = NewId("appt");
        Assert.Equal(HttpStatusCode.Created, (await ehr.PutAsync($"/fhir/Patient/{pat}", Example.Patient(pat, "Klaus", "Kluster"))).Status);

        // Signed in and connected to B (B's own token; each server checks its own development issuer).
        var patient = await b.ConnectAsync(pat);
        var booked = await ehr.PutAsync($"/fhir/Appointment/{appt}", Example.Appointment(appt, DateTimeOffset.UtcNow.AddMinutes(5), TimeSpan.FromMinutes(30), "nurse-1", "booked", pat));
        Assert.Equal(HttpStatusCode.Created, booked.Status);
        return (patient, pat, appt);
    }

    private static bool Names(JsonElement e, string appointment) =>
        e.GetProperty("appointmentIds").EnumerateArray().Any(id => id.GetString() == appointment);

    private Dictionary<string, string?> Settings(string database, RedisInstance? redis)
    {
        var settings = StoreSettings.PostgreSql(postgres.Instance, database);
        if (redis is not null)
        {
            settings["ConnectionStrings:Redis"] = redis.ConnectionString;
        }

        return settings;
    }
}
