using System.Net;
using System.Net.WebSockets;
using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace VideoVisit.Server.Tests.Integration;

/// <summary>Every demo person against every hub method and endpoint, plus no token and an expired token.</summary>
public sealed class RightsMatrixTests
{
    private const string ExternalIssuer = "https://issuer.example.test";
    private const string ExternalAudience = "videovisit-tests";
    private const string ExternalKey = "a-test-signing-key-that-is-at-least-32-bytes-long";

    public static readonly string[] People =
        ["nurse-1", "doctor-2", "patient-1", "patient-2", "patient-3", "child-1", "guardian-1", "guardian-2", "rep-full", "rep-appt", "rep-read"];

    /// <summary>Who may begin which appointment (acting for whom); everything else is refused.</summary>
    public static readonly (string Person, string Appointment, string? OnBehalfOf, string Role)[] MayBegin =
    [
        ("nurse-1", "appt-1", null, "professional"),
        ("nurse-1", "appt-group", null, "professional"),
        ("nurse-1", "appt-child", null, "professional"),
        ("doctor-2", "appt-2", null, "professional"),
        ("patient-1", "appt-1", null, "patient"),
        ("patient-1", "appt-group", null, "patient"),
        ("patient-2", "appt-2", null, "patient"),
        ("patient-2", "appt-group", null, "patient"),
        ("patient-3", "appt-group", null, "patient"),
        ("child-1", "appt-child", null, "patient"),
        ("guardian-1", "appt-child", "child-1", "guardian"),
        ("rep-full", "appt-1", "patient-1", "representative"),
        ("rep-full", "appt-group", "patient-1", "representative"),
        ("rep-appt", "appt-1", "patient-1", "representative"),
        ("rep-appt", "appt-group", "patient-1", "representative"),
    ];

    public static readonly Dictionary<string, string[]> Upcoming = new()
    {
        ["nurse-1"] = ["appt-1", "appt-child", "appt-group"],
        ["doctor-2"] = ["appt-2"],
        ["patient-1"] = ["appt-1", "appt-group"],
        ["patient-2"] = ["appt-2", "appt-group"],
        ["patient-3"] = ["appt-group"],
        ["child-1"] = ["appt-child"],
        ["guardian-1"] = ["appt-child"],
        ["guardian-2"] = [],
        ["rep-full"] = ["appt-1", "appt-group"],
        ["rep-appt"] = ["appt-1", "appt-group"],
        ["rep-read"] = ["appt-1", "appt-group"],
    };

    private static readonly string[] Appointments = ["appt-1", "appt-2", "appt-group", "appt-child"];

    [Fact]
    public async Task EveryDemoPersonMayBeginExactlyTheVisitsTheRulesAllow()
    {
        await using var server = await VisitServer.StartAsync();
        // The professionals open every visit first, so each join below lands in an open visit.
        await using var nurse = await server.ConnectAsync("nurse-1");
        await using var doctor = await server.ConnectAsync("doctor-2");
        var visitIds = new Dictionary<string, string>();
        foreach (var appointment in new[] { "appt-1", "appt-group", "appt-child" })
        {
            visitIds[appointment] = (await nurse.InvokeAsync("BeginVisit", appointment, null)).Str("visitId");
        }

        visitIds["appt-2"] = (await doctor.InvokeAsync("BeginVisit", "appt-2", null)).Str("visitId");

        foreach (var person in People.Where(p => !p.StartsWith("nurse", StringComparison.Ordinal) && !p.StartsWith("doctor", StringComparison.Ordinal)))
        {
            await using var client = await server.ConnectAsync(person);
            foreach (var appointment in Appointments)
            {
                foreach (var onBehalfOf in new string?[] { null, "patient-1", "child-1" })
                {
                    var allowed = MayBegin.FirstOrDefault(r => r.Person == person && r.Appointment == appointment && r.OnBehalfOf == (onBehalfOf == person ? null : onBehalfOf));
                    var what = $"{person} begins {appointment} for {onBehalfOf ?? "self"}";
                    if (allowed.Person is null)
                    {
                        var refused = await Assert.ThrowsAsync<HubCallFailedException>(() => client.InvokeAsync("BeginVisit", appointment, onBehalfOf));
                        Assert.False(string.IsNullOrWhiteSpace(refused.Message), what);
                        continue;
                    }

                    var joined = await client.InvokeAsync("BeginVisit", appointment, onBehalfOf);
                    Assert.True(joined.Str("state") == "waiting", what);
                    var visitId = joined.Str("visitId");
                    var me = joined.Str("participantId");
                    var seen = await (appointment == "appt-2" ? doctor : nurse).WaitForStateAsync(s => s.StateOf(me) == "waiting");
                    var entry = seen.Participant(me)!.Value;
                    Assert.Equal(allowed.Role, entry.Str("role"));
                    if (allowed.OnBehalfOf is not null)
                    {
                        Assert.Equal(allowed.OnBehalfOf, entry.GetProperty("onBehalfOf").Str("id"));
                    }

                    // A participant who is not the visit's professional may chat and report, never run the visit.
                    await client.InvokeAsync("SendChat", visitId, "m-" + person + appointment, "hello");
                    await client.InvokeAsync("ReportPrecheck", visitId, new { state = "ready" });
                    foreach (var (method, args) in ProfessionalCalls(visitId, me))
                    {
                        var error = await client.InvokeExpectingErrorAsync(method, args);
                        Assert.True(error.Contains("professional", StringComparison.Ordinal), $"{what}: {method} said {error}");
                    }

                    Assert.Contains("admitted", await client.InvokeExpectingErrorAsync("SendSignal", visitId, seen.Participant(seen.Str("yourParticipantId"))!.Value.Str("participantId"), "offer", "{}"), StringComparison.Ordinal);
                    await client.InvokeAsync("LeaveVisit", visitId);
                }
            }
        }

        // A professional of another unit can neither open nor run this unit's visits.
        foreach (var (method, args) in ProfessionalCalls(visitIds["appt-1"], "p-none"))
        {
            Assert.False(string.IsNullOrWhiteSpace(await doctor.InvokeExpectingErrorAsync(method, args)));
        }

        Assert.Contains("another unit", await doctor.InvokeExpectingErrorAsync("BeginVisit", "appt-1", null), StringComparison.Ordinal);
        Assert.Contains("another unit", await nurse.InvokeExpectingErrorAsync("BeginVisit", "appt-2", null), StringComparison.Ordinal);
        // The visit's own professional may.
        await nurse.InvokeAsync("AdmitAll", visitIds["appt-child"]);
        await nurse.InvokeAsync("EndVisit", visitIds["appt-child"]);
    }

    [Fact]
    public async Task EveryHubMethodRefusesSomeoneWhoIsNotInTheVisit()
    {
        await using var server = await VisitServer.StartAsync();
        await using var nurse = await server.ConnectAsync("nurse-1");
        var opened = await nurse.InvokeAsync("BeginVisit", "appt-1", null);
        var visitId = opened.Str("visitId");
        var nurseId = opened.Str("participantId");

        foreach (var person in People.Where(p => p != "nurse-1"))
        {
            await using var client = await server.ConnectAsync(person);
            var calls = ProfessionalCalls(visitId, nurseId).Concat(
            [
                ("LeaveVisit", new object?[] { visitId }),
                ("SendSignal", new object?[] { visitId, nurseId, "offer", "{}" }),
                ("SendChat", new object?[] { visitId, "c", "hi" }),
                ("ReportPrecheck", new object?[] { visitId, new { state = "ready" } }),
            ]);
            foreach (var (method, args) in calls)
            {
                var error = await client.InvokeExpectingErrorAsync(method, args);
                Assert.False(string.IsNullOrWhiteSpace(error), $"{person} {method}");
            }
        }

        Assert.Empty(nurse.Events("Signal"));
        Assert.Empty(nurse.Events("ChatMessage"));
    }

    [Fact]
    public async Task EveryDemoPersonSeesTheirOwnAndRepresentedAppointmentsAndIceServers()
    {
        await using var server = await VisitServer.StartAsync(new Dictionary<string, string?> { ["Turn:RelayAddress"] = "203.0.113.10" });
        foreach (var person in People)
        {
            var token = await server.TokenAsync(person);
            var me = await server.GetJsonAsync("/api/me", token);
            Assert.Equal(person, me.Str("id"));

            var upcoming = await server.GetJsonAsync("/api/appointments/upcoming", token);
            Assert.Equal(Upcoming[person], upcoming.EnumerateArray().Select(a => a.Str("id")).Order(StringComparer.Ordinal));
            foreach (var appointment in upcoming.EnumerateArray())
            {
                var mayBegin = MayBegin.Any(r => r.Person == person && r.Appointment == appointment.Str("id"));
                Assert.True(mayBegin == appointment.GetProperty("canBegin").GetBoolean(), $"{person} canBegin {appointment.Str("id")}");
            }

            var ice = await server.GetJsonAsync("/api/ice-servers", token);
            Assert.Equal(2, ice.GetArrayLength());
        }

        var repRead = await server.GetJsonAsync("/api/me", await server.TokenAsync("rep-read"));
        var right = Assert.Single(repRead.GetProperty("represents").EnumerateArray());
        Assert.Equal("ReadOnly", right.Str("scope"));
        Assert.False(right.GetProperty("canAct").GetBoolean());
        var guardian2 = await server.GetJsonAsync("/api/me", await server.TokenAsync("guardian-2"));
        Assert.False(Assert.Single(guardian2.GetProperty("represents").EnumerateArray()).GetProperty("canView").GetBoolean());
        // A patient of a group appointment is not shown the other patients.
        var group = (await server.GetJsonAsync("/api/appointments/upcoming", await server.TokenAsync("patient-3"))).EnumerateArray().Single();
        Assert.Equal(["patient-3"], group.GetProperty("patientIds").EnumerateArray().Select(p => p.GetString()));
    }

    [Theory]
    [InlineData("/api/me")]
    [InlineData("/api/appointments/upcoming")]
    [InlineData("/api/ice-servers")]
    public async Task EndpointWithoutTokenOrWithExpiredTokenIs401(string path)
    {
        await using var server = await VisitServer.StartAsync(ExternalIssuerSettings());

        using var none = await server.GetAsync(path, null);
        using var expired = await server.GetAsync(path, ExternalToken("patient-1", TimeSpan.FromHours(-1)));
        using var wrongKey = await server.GetAsync(path, ExternalToken("patient-1", TimeSpan.FromHours(1), "another-key-that-is-also-at-least-32-bytes"));
        using var valid = await server.GetAsync(path, ExternalToken("patient-1", TimeSpan.FromHours(1)));

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongKey.StatusCode);
        Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
    }

    [Fact]
    public async Task HubRefusesNoTokenAndExpiredTokenButTakesAValidExternalOne()
    {
        await using var server = await VisitServer.StartAsync(ExternalIssuerSettings());

        await Assert.ThrowsAsync<WebSocketException>(() => HubClient.ConnectAsync(server.BaseAddress, null));
        await Assert.ThrowsAsync<WebSocketException>(() => HubClient.ConnectAsync(server.BaseAddress, ExternalToken("patient-1", TimeSpan.FromHours(-1))));
        await using var valid = await HubClient.ConnectAsync(server.BaseAddress, ExternalToken("patient-1", TimeSpan.FromHours(1)));
        Assert.Equal("waiting", (await valid.InvokeAsync("BeginVisit", "appt-1", null)).Str("state"));
        await using var stranger = await HubClient.ConnectAsync(server.BaseAddress, ExternalToken("someone-unknown", TimeSpan.FromHours(1)));
        Assert.Contains("not known", await stranger.InvokeExpectingErrorAsync("BeginVisit", "appt-1", null), StringComparison.Ordinal);
        using var unknownRest = await server.GetAsync("/api/me", ExternalToken("someone-unknown", TimeSpan.FromHours(1)));
        Assert.Equal(HttpStatusCode.Forbidden, unknownRest.StatusCode);
    }

    [Fact]
    public async Task DevelopmentIssuerIsNotFoundWhenDisabled()
    {
        await using var server = await VisitServer.StartAsync(ExternalIssuerSettings());

        using var people = await server.GetAsync("/api/dev/people", null);
        using var token = await server.Http.PostAsync("/api/dev/token", new StringContent("{\"personId\":\"nurse-1\"}", Encoding.UTF8, "application/json")).WaitAsync(VisitServer.Timeout);

        Assert.Equal(HttpStatusCode.NotFound, people.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, token.StatusCode);
    }

    [Fact]
    public async Task AHubConnectionIsClosedWhenItsTokenExpiresAndCannotSendAfterwards()
    {
        var settings = ExternalIssuerSettings();
        settings["Visits:ReconnectGraceSeconds"] = "60";
        await using var server = await VisitServer.StartAsync(settings);
        await using var patient = await HubClient.ConnectAsync(server.BaseAddress, ExternalToken("patient-1", TimeSpan.FromSeconds(4)));
        var knocked = await patient.InvokeAsync("BeginVisit", "appt-1", null);

        await patient.WaitClosedAsync(TimeSpan.FromSeconds(20));
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => patient.InvokeAsync("SendChat", knocked.Str("visitId"), "after", "still here?"));

        Assert.True(patient.IsClosed);
        Assert.IsNotType<TimeoutException>(refused);
        // A fresh token resumes the same seat (the reconnection grace holds it).
        await using var renewed = await HubClient.ConnectAsync(server.BaseAddress, ExternalToken("patient-1", TimeSpan.FromMinutes(5)));
        var resumed = await renewed.InvokeAsync("BeginVisit", "appt-1", null);
        Assert.Equal(knocked.Str("participantId"), resumed.Str("participantId"));
    }

    private static (string Method, object?[] Args)[] ProfessionalCalls(string visitId, string participantId) =>
    [
        ("Admit", [visitId, participantId]),
        ("AdmitAll", [visitId]),
        ("ReturnToWaiting", [visitId, participantId]),
        ("Remove", [visitId, participantId]),
        ("EndVisit", [visitId]),
    ];

    private static Dictionary<string, string?> ExternalIssuerSettings() => new()
    {
        ["Auth:DevIssuer:Enabled"] = "false",
        ["Auth:Issuer"] = ExternalIssuer,
        ["Auth:Audience"] = ExternalAudience,
        ["Auth:SigningKey"] = ExternalKey,
        ["Auth:ClockSkewSeconds"] = "0",
    };

    private static string ExternalToken(string personId, TimeSpan validFor, string key = ExternalKey)
    {
        var now = DateTime.UtcNow;
        var expires = now + validFor;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = ExternalIssuer,
            Audience = ExternalAudience,
            IssuedAt = expires.AddHours(-2),
            NotBefore = expires.AddHours(-2),
            Expires = expires,
            Subject = new ClaimsIdentity([new Claim("sub", personId)]),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)), SecurityAlgorithms.HmacSha256),
        });
    }
}
