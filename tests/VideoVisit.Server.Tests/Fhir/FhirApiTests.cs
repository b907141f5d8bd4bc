using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VideoVisit.Server.Data;
using VideoVisit.Server.Tests.Integration;

namespace VideoVisit.Server.Tests.Fhir;

/// <summary>The FHIR API on the embedded default (SQLite); <see cref="Store.FhirApiTestsOnPostgreSql"/> runs the same on PostgreSQL.</summary>
public class FhirApiTests(FhirServerFixture fixture) : IClassFixture<FhirServerFixture>
{
    private VisitServer Server => fixture.Server;

    private FhirClient Ehr => fixture.Ehr;

    private static DateTimeOffset Soon => DateTimeOffset.UtcNow.AddMinutes(5);

    private static string NewId(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..10];

    [Fact]
    public async Task MetadataListsExactlyTheSupportedResourcesAndTheScopeCodeSystem()
    {
        var answer = await new FhirClient(Server, null).GetAsync("/fhir/metadata");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("application/fhir+json", answer.ContentType);
        Assert.Equal("CapabilityStatement", answer.ResourceType);
        Assert.Equal("4.0.1", answer.Body.GetProperty("fhirVersion").GetString());
        var rest = answer.Body.GetProperty("rest")[0];
        var types = rest.GetProperty("resource").EnumerateArray().Select(r => r.GetProperty("type").GetString()).ToList();
        Assert.Equal(["Organization", "Patient", "Practitioner", "PractitionerRole", "RelatedPerson", "Appointment"], types);
        Assert.Equal("transaction", rest.GetProperty("interaction")[0].GetProperty("code").GetString());
        var appointment = rest.GetProperty("resource").EnumerateArray().Single(r => r.GetProperty("type").GetString() == "Appointment");
        Assert.Equal(["patient", "practitioner", "date", "status", "_count"], appointment.GetProperty("searchParam").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        var codes = answer.Body.GetProperty("contained")[0].GetProperty("concept").EnumerateArray().Select(c => c.GetProperty("code").GetString());
        Assert.Equal(["full", "appointments-and-messages", "read-only", "guardian"], codes);
    }

    [Fact]
    public async Task EveryResourceTypeRoundTripsThroughPutAndReadWithItsVersion()
    {
        var org = NewId("org");
        var pat = NewId("pat");
        var pra = NewId("pra");
        var role = NewId("role");
        var rel = NewId("rel");
        var appt = NewId("appt");
        (string Path, string Json)[] resources =
        [
            ($"/fhir/Organization/{org}", Example.Organization(org, "Clinic North")),
            ($"/fhir/Patient/{pat}", Example.Patient(pat, "Aino", "Aaltonen")),
            ($"/fhir/Practitioner/{pra}", Example.Practitioner(pra, "Hanna", "Hoitaja")),
            ($"/fhir/PractitionerRole/{role}", Example.Role(role, pra, org)),
            ($"/fhir/RelatedPerson/{rel}", Example.Related(rel, pat, "full")),
            ($"/fhir/Appointment/{appt}", Example.Appointment(appt, Soon, TimeSpan.FromMinutes(20), pra, "booked", pat)),
        ];
        foreach (var (path, json) in resources)
        {
            var created = await Ehr.PutAsync(path, json);
            Assert.True(created.Status == HttpStatusCode.Created, $"{path}: {created.Status} {created.Body}");
            Assert.Equal("W/\"1\"", created.ETag);
            Assert.EndsWith(path + "/_history/1", created.Location, StringComparison.Ordinal);

            var read = await Ehr.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, read.Status);
            Assert.Equal("W/\"1\"", read.ETag);
            Assert.Equal("1", read.VersionId);
            Assert.Equal(path.Split('/')[^1], read.Body.GetProperty("id").GetString());

            var updated = await Ehr.PutAsync(path, json, ifMatch: "W/\"1\"");
            Assert.Equal(HttpStatusCode.OK, updated.Status);
            Assert.Equal("W/\"2\"", updated.ETag);
            Assert.Equal("2", (await Ehr.GetAsync(path)).VersionId);
        }

        Assert.Equal("Clinic North", (await Ehr.GetAsync($"/fhir/Organization/{org}")).Body.GetProperty("name").GetString());
        Assert.Equal("Patient/" + pat, (await Ehr.GetAsync($"/fhir/RelatedPerson/{rel}")).Body.GetProperty("patient").GetProperty("reference").GetString());
    }

    [Fact]
    public async Task PostCreatesAResourceWithAServerAssignedId()
    {
        var created = await Ehr.PostAsync("/fhir/Patient", Example.Patient("ignored", "Eero", "Esimerkki"));

        Assert.Equal(HttpStatusCode.Created, created.Status);
        var id = created.Body.GetProperty("id").GetString()!;
        Assert.NotEqual("ignored", id);
        Assert.Equal(HttpStatusCode.OK, (await Ehr.GetAsync("/fhir/Patient/" + id)).Status);
    }

    [Fact]
    public async Task TheMinimalAppointmentIsAcceptedAndTakesTheUnitOfThePractitionersRole()
    {
        var pat = NewId("pat");
        var appt = NewId("appt");
        Assert.Equal(HttpStatusCode.Created, (await Ehr.PutAsync($"/fhir/Patient/{pat}", Example.Patient(pat, "Ilona", "Ihmisen"))).Status);

        var answer = await Ehr.PutAsync($"/fhir/Appointment/{appt}", Example.Appointment(appt, Soon, TimeSpan.FromMinutes(30), "doctor-2", "booked", pat));

        Assert.Equal(HttpStatusCode.Created, answer.Status);
        var token = await Server.TokenAsync(pat);
        var upcoming = await Server.GetJsonAsync("/api/appointments/upcoming", token);
        var mine = upcoming.EnumerateArray().Single(a => a.Str("id") == appt);
        Assert.Equal("health-station-b", mine.Str("unit"));
        Assert.Equal("Health Station B", mine.Str("unitName"));
        Assert.Equal("video", mine.Str("kind"));
        Assert.Equal("doctor-2", mine.GetProperty("professional").Str("id"));
        Assert.Equal(2, mine.GetProperty("capacity").GetInt32());
        Assert.True(mine.GetProperty("canBegin").GetBoolean());
    }

    [Fact]
    public async Task AnAppointmentWithThreePatientsIsAGroupThatSeatsAtLeastTheGroupCapacity()
    {
        var patients = new[] { NewId("pat"), NewId("pat"), NewId("pat") };
        foreach (var p in patients)
        {
            Assert.Equal(HttpStatusCode.Created, (await Ehr.PutAsync($"/fhir/Patient/{p}", Example.Patient(p, "Ryhmä", "Jäsen"))).Status);
        }

        var appt = NewId("group");
        Assert.Equal(HttpStatusCode.Created, (await Ehr.PutAsync($"/fhir/Appointment/{appt}", Example.Appointment(appt, Soon, TimeSpan.FromMinutes(60), "nurse-1", "booked", patients))).Status);

        var nurse = await Server.TokenAsync("nurse-1");
        var seen = (await Server.GetJsonAsync("/api/appointments/upcoming", nurse)).EnumerateArray().Single(a => a.Str("id") == appt);
        Assert.Equal("group", seen.Str("kind"));
        Assert.Equal(8, seen.GetProperty("capacity").GetInt32());
        Assert.Equal(patients.Order(StringComparer.Ordinal), seen.GetProperty("patientIds").EnumerateArray().Select(p => p.GetString()!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task SearchFindsAppointmentsByPatientPractitionerDateAndStatusUpToTheCount()
    {
        var pat = NewId("pat");
        Assert.Equal(HttpStatusCode.Created, (await Ehr.PutAsync($"/fhir/Patient/{pat}", Example.Patient(pat, "Sanna", "Searcher"))).Status);
        var day = new DateTimeOffset(2031, 3, 10, 8, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 5; i++)
        {
            var id = $"{pat}-a{i}";
            var practitioner = i % 2 == 0 ? "nurse-1" : "doctor-2";
            var status = i == 4 ? "cancelled" : "booked";
            Assert.Equal(HttpStatusCode.Created, (await Ehr.PutAsync($"/fhir/Appointment/{id}", Example.Appointment(id, day.AddDays(i), TimeSpan.FromMinutes(30), practitioner, status, pat))).Status);
        }

        static string[] Ids(FhirAnswer answer) =>
            answer.Body.TryGetProperty("entry", out var entries) ? entries.EnumerateArray().Select(e => e.GetProperty("resource").GetProperty("id").GetString()!).ToArray() : [];

        var all = await Ehr.GetAsync($"/fhir/Appointment?patient=Patient/{pat}");
        Assert.Equal("searchset", all.Body.GetProperty("type").GetString());
        Assert.Equal(5, all.Body.GetProperty("total").GetInt32());
        Assert.Equal([$"{pat}-a0", $"{pat}-a1", $"{pat}-a2", $"{pat}-a3", $"{pat}-a4"], Ids(all));

        Assert.Equal([$"{pat}-a1", $"{pat}-a3"], Ids(await Ehr.GetAsync($"/fhir/Appointment?patient={pat}&practitioner=Practitioner/doctor-2")));
        Assert.Equal([$"{pat}-a1", $"{pat}-a2"], Ids(await Ehr.GetAsync($"/fhir/Appointment?patient={pat}&date=ge2031-03-11&date=le2031-03-12")));
        Assert.Equal([$"{pat}-a4"], Ids(await Ehr.GetAsync($"/fhir/Appointment?patient={pat}&status=cancelled")));
        var two = await Ehr.GetAsync($"/fhir/Appointment?patient={pat}&_count=2");
        Assert.Equal(5, two.Body.GetProperty("total").GetInt32());
        Assert.Equal([$"{pat}-a0", $"{pat}-a1"], Ids(two));

        var unknown = await Ehr.GetAsync($"/fhir/Appointment?patinet={pat}");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.Status);
        Assert.Contains("patinet", unknown.Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATransactionBundleWritesEverythingWithItsReferencesResolved()
    {
        var org = NewId("org");
        var pra = NewId("pra");
        var appt = NewId("appt");
        // In an order that would not work one by one: the server applies what is referenced first.
        var bundle = Example.Transaction(
            Example.Entry("PUT", $"Appointment/{appt}", Example.Appointment(appt, Soon, TimeSpan.FromMinutes(15), pra, "booked", "urn:uuid:9d4f3c1e-0000-4000-8000-000000000001").Replace("Patient/urn:uuid:9d4f3c1e-0000-4000-8000-000000000001", "urn:uuid:9d4f3c1e-0000-4000-8000-000000000001", StringComparison.Ordinal)),
            Example.Entry("POST", "Patient", Example.Patient("x", "Uuno", "Uusi"), fullUrl: "urn:uuid:9d4f3c1e-0000-4000-8000-000000000001"),
            Example.Entry("PUT", $"PractitionerRole/{pra}-role", Example.Role($"{pra}-role", pra, org)),
            Example.Entry("PUT", $"Practitioner/{pra}", Example.Practitioner(pra, "Terhi", "Terveydenhoitaja")),
            Example.Entry("PUT", $"Organization/{org}", Example.Organization(org, "Clinic South")));

        var answer = await Ehr.PostAsync("/fhir", bundle);

        Assert.True(answer.Status == HttpStatusCode.OK, answer.Body.ToString());
        Assert.Equal("transaction-response", answer.Body.GetProperty("type").GetString());
        var responses = answer.Body.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("response")).ToList();
        Assert.Equal(5, responses.Count);
        Assert.All(responses, r => Assert.Equal("201 Created", r.GetProperty("status").GetString()));
        Assert.StartsWith($"Appointment/{appt}/_history/1", responses[0].GetProperty("location").GetString(), StringComparison.Ordinal);
        var patientId = responses[1].GetProperty("location").GetString()!.Split('/')[1];
        var stored = await Ehr.GetAsync($"/fhir/Appointment/{appt}");
        Assert.Equal("Patient/" + patientId, stored.Body.GetProperty("participant")[0].GetProperty("actor").GetProperty("reference").GetString());
        var upcoming = await Server.GetJsonAsync("/api/appointments/upcoming", await Server.TokenAsync(patientId));
        Assert.Equal(org, upcoming.EnumerateArray().Single(a => a.Str("id") == appt).Str("unit"));
    }

    [Fact]
    public async Task ATransactionBundleWithOneBadEntryChangesNothing()
    {
        var pat = NewId("pat");
        var good = NewId("appt");
        var bad = NewId("appt");
        var bundle = Example.Transaction(
            Example.Entry("PUT", $"Patient/{pat}", Example.Patient(pat, "Kaisa", "Kumottu")),
            Example.Entry("PUT", $"Appointment/{good}", Example.Appointment(good, Soon, TimeSpan.FromMinutes(15), "nurse-1", "booked", pat)),
            Example.Entry("PUT", $"Appointment/{bad}", Example.Appointment(bad, Soon, TimeSpan.FromMinutes(15), "nurse-1", "booked", "nobody-" + pat)));

        var answer = await Ehr.PostAsync("/fhir", bundle);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, answer.Status);
        Assert.Equal("OperationOutcome", answer.ResourceType);
        Assert.Contains("Bundle.entry[2]", answer.Diagnostics, StringComparison.Ordinal);
        Assert.Contains("Patient/nobody-" + pat, answer.Diagnostics, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await Ehr.GetAsync($"/fhir/Patient/{pat}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await Ehr.GetAsync($"/fhir/Appointment/{good}")).Status);
        await using var db = await Server.Server.Services.GetRequiredService<IDbContextFactory<VideoVisitDb>>().CreateDbContextAsync().WaitAsync(FhirClient.Timeout);
        Assert.False(await db.People.AnyAsync(p => p.Id == pat).WaitAsync(FhirClient.Timeout));
        Assert.False(await db.Appointments.AnyAsync(a => a.Id == good).WaitAsync(FhirClient.Timeout));
        Assert.False(await db.FhirAudit.AnyAsync(a => a.ResourceId == pat).WaitAsync(FhirClient.Timeout));
    }

    [Fact]
    public async Task AStaleIfMatchGets412AndChangesNothing()
    {
        var pat = NewId("pat");
        Assert.Equal(HttpStatusCode.Created, (await Ehr.PutAsync($"/fhir/Patient/{pat}", Example.Patient(pat, "Ville", "Versio"))).Status);
        Assert.Equal(HttpStatusCode.OK, (await Ehr.PutAsync($"/fhir/Patient/{pat}", Example.Patient(pat, "Ville", "Versio-2"), "W/\"1\"")).Status);

        var stale = await Ehr.PutAsync($"/fhir/Patient/{pat}", Example.Patient(pat, "Ville", "Vanha"), "W/\"1\"");

        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.Status);
        Assert.Equal("OperationOutcome", stale.ResourceType);
        Assert.Contains("version 2", stale.Diagnostics, StringComparison.Ordinal);
        var read = await Ehr.GetAsync($"/fhir/Patient/{pat}");
        Assert.Equal("2", read.VersionId);
        Assert.Equal("Versio-2", read.Body.GetProperty("name")[0].GetProperty("family").GetString());

        var staleInBundle = await Ehr.PostAsync("/fhir", Example.Transaction(Example.Entry("PUT", $"Patient/{pat}", Example.Patient(pat, "Ville", "Vanha"), ifMatch: "W/\"1\"")));
        Assert.Equal(HttpStatusCode.PreconditionFailed, staleInBundle.Status);
        Assert.Equal("2", (await Ehr.GetAsync($"/fhir/Patient/{pat}")).VersionId);
    }

    public static TheoryData<string, string, string, int, string> BadInputs()
    {
        var at = DateTimeOffset.UtcNow.AddDays(3);
        return new()
        {
            { "invalid JSON", "Appointment/bad-json", """{"resourceType":"Appointment","id":"bad-json",""", 400, "not valid JSON" },
            { "wrong resourceType", "Appointment/bad-type", Example.Patient("bad-type", "Väärä", "Tyyppi"), 400, "is a Patient, but the URL is for Appointment" },
            { "id in body differs from URL", "Appointment/bad-id", Example.Appointment("other-id", at, TimeSpan.FromMinutes(30), "nurse-1", "booked", "patient-1"), 400, "(other-id) is not the id in the URL (bad-id)" },
            { "end before start", "Appointment/bad-end", Example.Appointment("bad-end", at, TimeSpan.FromMinutes(-30), "nurse-1", "booked", "patient-1"), 422, "is not after Appointment.start" },
            { "unknown participant", "Appointment/bad-unknown", Example.Appointment("bad-unknown", at, TimeSpan.FromMinutes(30), "nurse-1", "booked", "no-such-patient"), 422, "Patient/no-such-patient does not exist" },
            { "participant of the wrong type", "Appointment/bad-wrongtype", Example.Appointment("bad-wrongtype", at, TimeSpan.FromMinutes(30), "nurse-1", "booked", "nurse-1"), 422, "Patient/nurse-1 does not exist (nurse-1 is a Practitioner)" },
            { "participant that is no actor", "Appointment/bad-org", Example.Appointment("bad-org", at, TimeSpan.FromMinutes(30), "nurse-1", "booked", "patient-1").Replace("Patient/patient-1", "Organization/health-station-a", StringComparison.Ordinal), 422, "not a Organization" },
            { "no Practitioner", "Appointment/bad-nopro", Example.Appointment("bad-nopro", at, TimeSpan.FromMinutes(30), "nurse-1", "booked", "patient-1").Replace(",{\"actor\":{\"reference\":\"Practitioner/nurse-1\"},\"status\":\"accepted\"}", "", StringComparison.Ordinal), 422, "no Practitioner participant" },
            { "RelatedPerson pointing at itself", "RelatedPerson/bad-self", Example.Related("bad-self", "bad-self", "full"), 422, "points at itself" },
            { "RelatedPerson taking a Patient's id", "RelatedPerson/patient-3", Example.Related("patient-3", "patient-2", "full"), 422, "already a Patient" },
            { "RelatedPerson without a scope", "RelatedPerson/bad-scope", Example.Related("bad-scope", "patient-3", "everything"), 422, "not a scope" },
            { "invalid FHIR (status code)", "Appointment/bad-status", Example.Appointment("bad-status", at, TimeSpan.FromMinutes(30), "nurse-1", "sometime", "patient-1"), 400, "sometime" },
        };
    }

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task BadInputGetsAnOperationOutcomeAndChangesNothing(string what, string path, string body, int status, string diagnostics)
    {
        var before = await Ehr.GetAsync("/fhir/" + path);

        var answer = await Ehr.PutAsync("/fhir/" + path, body);

        Assert.True((int)answer.Status == status, $"{what}: {(int)answer.Status} {answer.Body}");
        Assert.Equal("application/fhir+json", answer.ContentType);
        Assert.Equal("OperationOutcome", answer.ResourceType);
        Assert.Equal("error", answer.Body.GetProperty("issue")[0].GetProperty("severity").GetString());
        Assert.Contains(diagnostics, string.Join(" | ", answer.Body.GetProperty("issue").EnumerateArray().Select(i => i.GetProperty("diagnostics").GetString())), StringComparison.Ordinal);
        var after = await Ehr.GetAsync("/fhir/" + path);
        Assert.Equal(before.Status, after.Status);
        Assert.Equal(before.ETag, after.ETag);

        // The same entry in a transaction rolls the whole Bundle back.
        var pat = NewId("pat");
        var inBundle = await Ehr.PostAsync("/fhir", Example.Transaction(
            Example.Entry("PUT", $"Patient/{pat}", Example.Patient(pat, "Rolli", "Bäkki")),
            Example.Entry("PUT", path, body)));
        Assert.Equal("OperationOutcome", inBundle.ResourceType);
        Assert.Equal(status, (int)inBundle.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await Ehr.GetAsync($"/fhir/Patient/{pat}")).Status);
    }

    [Fact]
    public async Task AnOversizedBodyGets413()
    {
        var pat = NewId("pat");
        var huge = Example.Patient(pat, new string('a', 300_000), "Iso");

        var answer = await Ehr.PutAsync($"/fhir/Patient/{pat}", huge);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, answer.Status);
        Assert.Equal("OperationOutcome", answer.ResourceType);
        Assert.Contains("Fhir:MaxRequestBytes", answer.Diagnostics, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await Ehr.GetAsync($"/fhir/Patient/{pat}")).Status);
    }

    [Fact]
    public async Task AMissingTokenGets401AndAMissingScopeGets403()
    {
        var pat = NewId("pat");
        var body = Example.Patient(pat, "Ei", "Lupaa");

        var anonymous = await new FhirClient(Server, null).PutAsync($"/fhir/Patient/{pat}", body);
        var readOnly = await (await FhirClient.ForClientAsync(Server, "reader", "system/*.read")).PutAsync($"/fhir/Patient/{pat}", body);
        var otherType = await (await FhirClient.ForClientAsync(Server, "appointments-only", "system/Appointment.write system/Appointment.read")).PutAsync($"/fhir/Patient/{pat}", body);
        var person = await new FhirClient(Server, await Server.TokenAsync("patient-1")).PutAsync($"/fhir/Patient/{pat}", body);
        var personRead = await new FhirClient(Server, await Server.TokenAsync("nurse-1")).GetAsync("/fhir/Appointment/appt-1");
        var bundle = await (await FhirClient.ForClientAsync(Server, "appointments-only", "system/Appointment.write")).PostAsync("/fhir", Example.Transaction(Example.Entry("PUT", $"Patient/{pat}", body)));

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.Status);
        Assert.Equal("OperationOutcome", anonymous.ResourceType);
        Assert.Equal(HttpStatusCode.Forbidden, readOnly.Status);
        Assert.Contains("system/Patient.write", readOnly.Diagnostics, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, otherType.Status);
        Assert.Equal(HttpStatusCode.Forbidden, person.Status);
        Assert.Equal(HttpStatusCode.Forbidden, personRead.Status);
        Assert.Equal(HttpStatusCode.Forbidden, bundle.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await Ehr.GetAsync($"/fhir/Patient/{pat}")).Status);
        Assert.Equal(HttpStatusCode.OK, (await (await FhirClient.ForClientAsync(Server, "appointments-only", "system/Appointment.read")).GetAsync("/fhir/Appointment/appt-1")).Status);
    }

    [Fact]
    public async Task ASystemTokenNamesNoPersonSoItCannotUseThePeoplesApi()
    {
        using var me = await Server.GetAsync("/api/me", Ehr.Token);

        Assert.Equal(HttpStatusCode.Forbidden, me.StatusCode);
    }

    [Fact]
    public async Task EveryWriteIsAuditedWithTheClientId()
    {
        var pat = NewId("pat");
        var client = await FhirClient.ForClientAsync(Server, "audited-ehr");
        Assert.Equal(HttpStatusCode.Created, (await client.PutAsync($"/fhir/Patient/{pat}", Example.Patient(pat, "Auli", "Auditoitu"))).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsync($"/fhir/Patient/{pat}", Example.Patient(pat, "Auli", "Auditoitu"))).Status);

        await using var db = await Server.Server.Services.GetRequiredService<IDbContextFactory<VideoVisitDb>>().CreateDbContextAsync().WaitAsync(FhirClient.Timeout);
        var lines = await db.FhirAudit.AsNoTracking().Where(a => a.ResourceId == pat).OrderBy(a => a.VersionId).ToListAsync().WaitAsync(FhirClient.Timeout);
        Assert.Equal(["create", "update"], lines.Select(l => l.Interaction));
        Assert.All(lines, l => Assert.Equal("audited-ehr", l.ClientId));
        Assert.Equal([1, 2], lines.Select(l => l.VersionId));
    }

    [Fact]
    public async Task TheDevelopmentIssuerMintsTokensForAPersonCreatedThroughFhir()
    {
        var rel = NewId("rel");
        Assert.Equal(HttpStatusCode.Created, (await Ehr.PutAsync($"/fhir/RelatedPerson/{rel}", Example.Related(rel, "patient-2", "read-only", name: "Lea Luku"))).Status);

        var me = await Server.GetJsonAsync("/api/me", await Server.TokenAsync(rel));

        Assert.Equal(rel, me.Str("id"));
        Assert.Equal("Lea Luku", me.Str("displayName"));
        var represents = me.GetProperty("represents")[0];
        Assert.Equal("patient-2", represents.Str("personId"));
        Assert.Equal("ReadOnly", represents.Str("scope"));
        Assert.True(represents.GetProperty("canView").GetBoolean());
        Assert.False(represents.GetProperty("canAct").GetBoolean());
        var upcoming = await Server.GetJsonAsync("/api/appointments/upcoming", await Server.TokenAsync(rel));
        Assert.Contains(upcoming.EnumerateArray(), a => a.Str("id") == "appt-2" && a.Str("onBehalfOf") == "patient-2");
    }

    [Fact]
    public async Task AMovedAppointmentMovesItsBeginWindowAndACancelledOneLosesBeginWithAReason()
    {
        var pat = NewId("pat");
        var appt = NewId("appt");
        Assert.Equal(HttpStatusCode.Created, (await Ehr.PutAsync($"/fhir/Patient/{pat}", Example.Patient(pat, "Siirto", "Peruttu"))).Status);
        Assert.Equal(HttpStatusCode.Created, (await Ehr.PutAsync($"/fhir/Appointment/{appt}", Example.Appointment(appt, Soon, TimeSpan.FromMinutes(30), "nurse-1", "booked", pat))).Status);
        var token = await Server.TokenAsync(pat);
        async Task<JsonElement> Mine() => (await Server.GetJsonAsync("/api/appointments/upcoming", token)).EnumerateArray().Single(a => a.Str("id") == appt);
        Assert.True((await Mine()).GetProperty("canBegin").GetBoolean());

        var later = DateTimeOffset.UtcNow.AddDays(2);
        Assert.Equal(HttpStatusCode.OK, (await Ehr.PutAsync($"/fhir/Appointment/{appt}", Example.Appointment(appt, later, TimeSpan.FromMinutes(30), "nurse-1", "booked", pat))).Status);
        var moved = await Mine();
        Assert.False(moved.GetProperty("canBegin").GetBoolean());
        Assert.Equal(later.AddMinutes(-15).ToUnixTimeSeconds(), moved.GetProperty("beginOpensAt").GetDateTimeOffset().ToUnixTimeSeconds());

        Assert.Equal(HttpStatusCode.OK, (await Ehr.PutAsync($"/fhir/Appointment/{appt}", Example.Appointment(appt, Soon, TimeSpan.FromMinutes(30), "nurse-1", "cancelled", pat))).Status);
        var cancelled = await Mine();
        Assert.False(cancelled.GetProperty("canBegin").GetBoolean());
        Assert.Equal("cancelled", cancelled.Str("status"));
        Assert.Equal("The appointment was cancelled.", cancelled.Str("cannotBeginReason"));

        Assert.Equal(HttpStatusCode.OK, (await Ehr.PutAsync($"/fhir/Appointment/{appt}", Example.Appointment(appt, Soon, TimeSpan.FromMinutes(30), "nurse-1", "entered-in-error", pat))).Status);
        Assert.DoesNotContain((await Server.GetJsonAsync("/api/appointments/upcoming", token)).EnumerateArray(), a => a.Str("id") == appt);
    }
}
