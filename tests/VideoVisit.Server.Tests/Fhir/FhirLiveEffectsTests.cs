using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using VideoVisit.Server.Tests.Integration;

namespace VideoVisit.Server.Tests.Fhir;

/// <summary>What a FHIR write does at once to connected people (hub push), and what survives a restart.</summary>
public class FhirLiveEffectsTests(FhirServerFixture fixture) : IClassFixture<FhirServerFixture>
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(500);

    private VisitServer Server => fixture.Server;

    private FhirClient Ehr => fixture.Ehr;

    private static DateTimeOffset Soon => DateTimeOffset.UtcNow.AddMinutes(5);

    private static string NewId(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..10];

    private async Task<(string Patient, string Representative)> PatientWithRepresentativeAsync()
    {
        var pat = NewId("pat");
        var rep = NewId("rep");
        var answer = await Ehr.PostAsync("/fhir", Example.Transaction(
            Example.Entry("PUT", $"Patient/{pat}", Example.Patient(pat, "Liisa", "Live")),
            Example.Entry("PUT", $"RelatedPerson/{rep}", Example.Related(rep, pat, "appointments-and-messages", name: "Raili Rep"))));
        Assert.True(answer.Status == HttpStatusCode.OK, answer.Body.ToString());
        return (pat, rep);
    }

    [Fact]
    public async Task ABookingReachesThePatientTheirRepresentativeAndTheUnitAtOnceAndNobodyElse()
    {
        var (pat, rep) = await PatientWithRepresentativeAsync();
        await using var patient = await Server.ConnectAsync(pat);
        await using var representative = await Server.ConnectAsync(rep);
        await using var nurse = await Server.ConnectAsync("nurse-1");
        await using var doctor = await Server.ConnectAsync("doctor-2");
        await using var stranger = await Server.ConnectAsync("patient-2");
        var appt = NewId("appt");

        Assert.Equal(HttpStatusCode.Created, (await Ehr.PutAsync($"/fhir/Appointment/{appt}", Example.Appointment(appt, Soon, TimeSpan.FromMinutes(30), "nurse-1", "booked", pat))).Status);

        bool Names(System.Text.Json.JsonElement e) => e.GetProperty("appointmentIds").EnumerateArray().Any(id => id.GetString() == appt);
        await patient.WaitForAsync("AppointmentsChanged", Names);
        await representative.WaitForAsync("AppointmentsChanged", Names);
        await nurse.WaitForAsync("AppointmentsChanged", Names);
        await Task.Delay(Quiet);
        Assert.DoesNotContain(doctor.Events("AppointmentsChanged"), Names);
        Assert.DoesNotContain(stranger.Events("AppointmentsChanged"), Names);
        var upcoming = await Server.GetJsonAsync("/api/appointments/upcoming", await Server.TokenAsync(rep));
        Assert.Contains(upcoming.EnumerateArray(), a => a.Str("id") == appt && a.Str("onBehalfOf") == pat);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // The clinic's system cancels and moves the time in one write: the open visit is still the one that ends.
    public async Task ACancellationEndsTheOpenVisitForEveryoneInItAndWaitingWithTheReason(bool movedToo)
    {
        var (pat, rep) = await PatientWithRepresentativeAsync();
        var appt = NewId("appt");
        var start = Soon;
        Assert.Equal(HttpStatusCode.Created, (await Ehr.PutAsync($"/fhir/Appointment/{appt}", Example.Appointment(appt, start, TimeSpan.FromMinutes(30), "nurse-1", "booked", pat))).Status);
        await using var nurse = await Server.ConnectAsync("nurse-1");
        await using var patient = await Server.ConnectAsync(pat);
        await using var representative = await Server.ConnectAsync(rep);
        var opened = await nurse.InvokeAsync("BeginVisit", appt, null);
        var visitId = opened.Str("visitId");
        var knocked = await patient.InvokeAsync("BeginVisit", appt, null);
        await nurse.InvokeAsync("Admit", visitId, knocked.Str("participantId"));
        await patient.WaitForStateAsync(s => s.StateOf(knocked.Str("participantId")) == "admitted");
        var waiting = await representative.InvokeAsync("BeginVisit", appt, pat);
        Assert.Equal("waiting", waiting.Str("state"));

        var cancelledStart = movedToo ? start.AddMinutes(20) : start;
        Assert.Equal(HttpStatusCode.OK, (await Ehr.PutAsync($"/fhir/Appointment/{appt}", Example.Appointment(appt, cancelledStart, TimeSpan.FromMinutes(30), "nurse-1", "cancelled", pat))).Status);

        foreach (var client in new[] { nurse, patient, representative })
        {
            var ended = await client.WaitForAsync("VisitEnded");
            Assert.Equal(visitId, ended.Str("visitId"));
            Assert.Equal("appointment-cancelled", ended.Str("reason"));
            Assert.Equal("The appointment was cancelled.", ended.Str("message"));
        }

        var again = await patient.InvokeExpectingErrorAsync("BeginVisit", appt, null);
        Assert.Contains("cancelled", again, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARevokedRepresentativeLosesTheAppointmentAndTheirSeat()
    {
        var (pat, rep) = await PatientWithRepresentativeAsync();
        var appt = NewId("appt");
        Assert.Equal(HttpStatusCode.Created, (await Ehr.PutAsync($"/fhir/Appointment/{appt}", Example.Appointment(appt, Soon, TimeSpan.FromMinutes(30), "nurse-1", "booked", pat))).Status);
        await using var nurse = await Server.ConnectAsync("nurse-1");
        await using var representative = await Server.ConnectAsync(rep);
        await nurse.InvokeAsync("BeginVisit", appt, null);
        var seat = await representative.InvokeAsync("BeginVisit", appt, pat);

        Assert.Equal(HttpStatusCode.OK, (await Ehr.PutAsync($"/fhir/RelatedPerson/{rep}", Example.Related(rep, pat, "appointments-and-messages", active: false, name: "Raili Rep"))).Status);

        var removed = await representative.WaitForAsync("Removed");
        Assert.Equal(seat.Str("participantId"), removed.Str("participantId"));
        Assert.Equal("right-ended", removed.Str("reason"));
        await representative.WaitForAsync("AppointmentsChanged");
        await nurse.WaitForStateAsync(s => s.StateOf(seat.Str("participantId")) == "removed");
        var upcoming = await Server.GetJsonAsync("/api/appointments/upcoming", await Server.TokenAsync(rep));
        Assert.DoesNotContain(upcoming.EnumerateArray(), a => a.Str("id") == appt);
        var refused = await representative.InvokeExpectingErrorAsync("BeginVisit", appt, pat);
        Assert.Contains("not yours", refused, StringComparison.Ordinal);
    }
}

public sealed class FhirStoreTests
{
    [Fact]
    public async Task ARestartKeepsEverythingWrittenThroughFhir()
    {
        var data = Directory.CreateTempSubdirectory("videovisit-fhir-restart-").FullName;
        var appt = "restart-appt";
        var start = DateTimeOffset.UtcNow.AddMinutes(5);
        await using (var first = await VisitServer.StartAsync(new Dictionary<string, string?> { ["Auth:DevIssuer:SigningKey"] = "restart-test-signing-key-0123456789abcdef" }, data))
        {
            var ehr = await FhirClient.ForClientAsync(first);
            Assert.Equal(HttpStatusCode.OK, (await ehr.PostAsync("/fhir", Example.Transaction(
                Example.Entry("PUT", "Patient/restart-pat", Example.Patient("restart-pat", "Reija", "Restart")),
                Example.Entry("PUT", "RelatedPerson/restart-rep", Example.Related("restart-rep", "restart-pat", "full")),
                Example.Entry("PUT", $"Appointment/{appt}", Example.Appointment(appt, start, TimeSpan.FromMinutes(30), "doctor-2", "booked", "restart-pat"))))).Status);
            Assert.Equal(HttpStatusCode.OK, (await ehr.PutAsync($"/fhir/Appointment/{appt}", Example.Appointment(appt, start.AddMinutes(1), TimeSpan.FromMinutes(30), "doctor-2", "booked", "restart-pat"), "W/\"1\"")).Status);
        }

        await using var second = await VisitServer.StartAsync(new Dictionary<string, string?> { ["Auth:DevIssuer:SigningKey"] = "restart-test-signing-key-0123456789abcdef" }, data);
        var again = await FhirClient.ForClientAsync(second);
        var read = await again.GetAsync($"/fhir/Appointment/{appt}");
        Assert.Equal(HttpStatusCode.OK, read.Status);
        Assert.Equal("2", read.VersionId);
        Assert.Equal(HttpStatusCode.OK, (await again.GetAsync("/fhir/RelatedPerson/restart-rep")).Status);
        var upcoming = await second.GetJsonAsync("/api/appointments/upcoming", await second.TokenAsync("restart-rep"));
        var seen = upcoming.EnumerateArray().Single(a => a.Str("id") == appt);
        Assert.Equal(start.AddMinutes(1).ToUnixTimeSeconds(), seen.GetProperty("start").GetDateTimeOffset().ToUnixTimeSeconds());
        Assert.Equal("health-station-b", seen.Str("unit"));
        Assert.Equal(HttpStatusCode.OK, (await again.PutAsync($"/fhir/Appointment/{appt}", Example.Appointment(appt, start, TimeSpan.FromMinutes(30), "doctor-2", "booked", "restart-pat"), "W/\"2\"")).Status);
        Assert.Equal("3", (await again.GetAsync($"/fhir/Appointment/{appt}")).VersionId);
    }

    [Fact]
    public async Task WithAPersonIdentifierSystemTheIdentifierClaimNamesThePerson()
    {
        const string Key = "external-issuer-test-key-0123456789abcdefgh";
        const string System = "urn:oid:1.2.246.21";
        await using var server = await VisitServer.StartAsync(new Dictionary<string, string?>
        {
            ["Auth:DevIssuer:Enabled"] = "false",
            ["Auth:Issuer"] = "https://idp.example.test",
            ["Auth:Audience"] = "videovisit",
            ["Auth:SigningKey"] = Key,
            ["Auth:PersonIdentifierSystem"] = System,
            ["Auth:PersonIdentifierClaim"] = "national_id",
        });
        static string Token(params System.Security.Claims.Claim[] claims) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "https://idp.example.test",
            Audience = "videovisit",
            Expires = DateTime.UtcNow.AddMinutes(10),
            Subject = new ClaimsIdentity(claims),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(Key)), SecurityAlgorithms.HmacSha256),
        });
        var ehr = new FhirClient(server, Token(new("sub", "city-ehr"), new("client_id", "city-ehr"), new("scope", "system/Patient.write system/Patient.read")));
        var patient = Example.Patient("id-pat", "Henna", "Henkilötunnus", extra: $$""","identifier":[{"system":"{{System}}","value":"010180-123A"}]""");
        Assert.Equal(HttpStatusCode.Created, (await ehr.PutAsync("/fhir/Patient/id-pat", patient)).Status);

        var person = Token(new("sub", "opaque-user-7781"), new("national_id", "010180-123A"));
        var stranger = Token(new("sub", "id-pat"), new("national_id", "999999-999X"));

        Assert.Equal("id-pat", (await server.GetJsonAsync("/api/me", person)).Str("id"));
        using var refused = await server.GetAsync("/api/me", stranger);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ehr.Token);
        using var system = await server.Http.SendAsync(request).WaitAsync(FhirClient.Timeout);
        Assert.Equal(HttpStatusCode.Forbidden, system.StatusCode);
    }
}
