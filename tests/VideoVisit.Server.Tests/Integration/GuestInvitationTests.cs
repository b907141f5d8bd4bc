using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using VideoVisit.Server.Auth;
using VideoVisit.Server.Data;

namespace VideoVisit.Server.Tests.Integration;

/// <summary>
/// Guest invitations on the real server (Kestrel, the official SignalR .NET client): the visit's
/// professional invites, the guest redeems the link with a name, waits and is admitted on top of the
/// patient's seats; revoked, expired and ended links are refused, and a guest token opens nothing else.
/// </summary>
public sealed class GuestInvitationTests
{
    [Fact]
    public async Task AnInvitedInterpreterWaitsIsAdmittedAndTalksOnTopOfThePatientAndACompanion()
    {
        await using var server = await VisitServer.StartAsync();
        await using var visit = await VisitScenario.StartAsync(server, admit: true);
        // The appointment's two seats are taken: the patient and a companion acting for them.
        await using var companion = await server.ConnectAsync("rep-full");
        var companionSeat = await companion.InvokeAsync("BeginVisit", "appt-1", "patient-1");
        await using var third = await server.ConnectAsync("rep-appt");
        Assert.Contains("full", await third.InvokeExpectingErrorAsync("BeginVisit", "appt-1", "patient-1"), StringComparison.Ordinal);

        var created = await CreateAsync(server, "nurse-1", visit.VisitId, new { role = "interpreter", displayName = "Arabic interpreter" });
        Assert.Equal("interpreter", created.GetProperty("invitation").Str("role"));
        Assert.Equal("active", created.GetProperty("invitation").Str("state"));
        var code = created.Str("code");
        Assert.Equal("/join/" + code, created.Str("path"));

        var guest = await RedeemAsync(server, code, "Layla Haddad");
        Assert.Equal(visit.VisitId, guest.Str("visitId"));
        Assert.Equal("appt-1", guest.Str("appointmentId"));
        await using var interpreter = await HubClient.ConnectAsync(server.BaseAddress, guest.Str("accessToken"));
        var knocked = await interpreter.InvokeAsync("BeginVisit", "appt-1", null);
        Assert.Equal("waiting", knocked.Str("state"));
        var guestId = knocked.Str("participantId");

        var seen = await visit.Nurse.WaitForStateAsync(s => s.StateOf(guestId) == "waiting");
        var row = seen.Participant(guestId)!.Value;
        Assert.Equal("interpreter", row.Str("role"));
        Assert.Equal("Layla Haddad", row.Str("displayName"));
        Assert.Equal("waiting", seen.StateOf(companionSeat.Str("participantId")));

        await visit.Nurse.InvokeAsync("Admit", visit.VisitId, guestId);
        await interpreter.WaitForStateAsync(s => s.StateOf(guestId) == "admitted");
        await interpreter.InvokeAsync("SendSignal", visit.VisitId, visit.NurseId, "offer", JsonSerializer.SerializeToElement(new { type = "offer", sdp = "v=0" }));
        var offer = await visit.Nurse.WaitForAsync("Signal", s => s.Str("fromParticipantId") == guestId);
        Assert.Equal("offer", offer.Str("kind"));
        await visit.Nurse.InvokeAsync("SendSignal", visit.VisitId, guestId, "answer", JsonSerializer.SerializeToElement(new { type = "answer", sdp = "v=0" }));
        await interpreter.WaitForAsync("Signal", s => s.Str("fromParticipantId") == visit.NurseId);
        var ice = await server.GetAsync("/api/ice-servers", guest.Str("accessToken"));
        Assert.Equal(HttpStatusCode.OK, ice.StatusCode);

        var kinds = await AuditAsync(server, visit.VisitId);
        Assert.Contains(("invitation-created", "nurse-1"), kinds);
        Assert.Contains(kinds, k => k.Kind == "guest-link-opened" && k.Actor!.StartsWith("guest_", StringComparison.Ordinal));
        Assert.Contains(kinds, k => k.Kind == "knocked" && k.Actor!.StartsWith("guest_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GuestSeatsAreLimitedByTheSettingOnTheServer()
    {
        await using var server = await VisitServer.StartAsync(new Dictionary<string, string?> { ["Visits:GuestCapacity"] = "1" });
        await using var visit = await VisitScenario.StartAsync(server, admit: false);
        var first = await RedeemAsync(server, (await CreateAsync(server, "nurse-1", visit.VisitId, new { role = "guest" })).Str("code"), "First Guest");
        var second = await RedeemAsync(server, (await CreateAsync(server, "nurse-1", visit.VisitId, new { role = "interpreter" })).Str("code"), "Second Guest");
        await using var guest1 = await HubClient.ConnectAsync(server.BaseAddress, first.Str("accessToken"));
        await guest1.InvokeAsync("BeginVisit", "appt-1", null);
        await using var guest2 = await HubClient.ConnectAsync(server.BaseAddress, second.Str("accessToken"));
        Assert.EndsWith("This visit has no guest places left.", await guest2.InvokeExpectingErrorAsync("BeginVisit", "appt-1", null));

        // The guest did not take the companion's seat.
        await using var companion = await server.ConnectAsync("rep-full");
        Assert.Equal("waiting", (await companion.InvokeAsync("BeginVisit", "appt-1", "patient-1")).Str("state"));
    }

    [Fact]
    public async Task ARevokedLinkIsRefusedAndItsGuestLosesTheirPlace()
    {
        await using var server = await VisitServer.StartAsync();
        await using var visit = await VisitScenario.StartAsync(server, admit: false);
        var created = await CreateAsync(server, "nurse-1", visit.VisitId, new { role = "guest", displayName = "Daughter" });
        var code = created.Str("code");
        var invitationId = created.GetProperty("invitation").Str("id");
        var guest = await RedeemAsync(server, code, "Maria");
        await using var client = await HubClient.ConnectAsync(server.BaseAddress, guest.Str("accessToken"));
        await client.InvokeAsync("BeginVisit", "appt-1", null);

        var nurseToken = await server.TokenAsync("nurse-1");
        using (var revoke = new HttpRequestMessage(HttpMethod.Delete, $"/api/visits/{visit.VisitId}/invitations/{invitationId}"))
        {
            revoke.Headers.Authorization = new AuthenticationHeaderValue("Bearer", nurseToken);
            using var revoked = await server.Http.SendAsync(revoke).WaitAsync(VisitServer.Timeout);
            Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        }

        var removed = await client.WaitForAsync("Removed");
        Assert.Equal("invitation-revoked", removed.Str("reason"));
        var list = await server.GetJsonAsync($"/api/visits/{visit.VisitId}/invitations", nurseToken);
        Assert.Equal("revoked", list.EnumerateArray().Single().Str("state"));

        using var again = await PostAsync(server, "/api/guest/redeem", new { code, name = "Maria" });
        Assert.Equal(HttpStatusCode.Forbidden, again.StatusCode);
        Assert.Equal("This invitation was withdrawn by the clinic.", await TitleAsync(again));
        using var renewed = await PostAsync(server, "/api/guest/token", new { }, guest.Str("accessToken"));
        Assert.Equal(HttpStatusCode.Forbidden, renewed.StatusCode);
        Assert.Contains("withdrawn", await client.InvokeExpectingErrorAsync("BeginVisit", "appt-1", null), StringComparison.Ordinal);
        Assert.Contains(("invitation-revoked", "nurse-1"), await AuditAsync(server, visit.VisitId));
    }

    [Fact]
    public async Task AnExpiredLinkIsRefusedButAGuestAlreadyInTheVisitKeepsTheirPlace()
    {
        await using var server = await VisitServer.StartAsync();
        await using var visit = await VisitScenario.StartAsync(server, admit: false);
        // Long enough for the guest to knock first on a busy machine; the expiry is for opening the link.
        var expiresAt = DateTimeOffset.UtcNow.AddSeconds(8);
        var created = await CreateAsync(server, "nurse-1", visit.VisitId, new { role = "guest", expiresAt });
        Assert.Equal(expiresAt.ToUnixTimeMilliseconds(), created.GetProperty("invitation").GetProperty("expiresAt").GetDateTimeOffset().ToUnixTimeMilliseconds());
        var code = created.Str("code");
        var guest = await RedeemAsync(server, code, "Early Guest");
        await using var client = await HubClient.ConnectAsync(server.BaseAddress, guest.Str("accessToken"));
        var seat = await client.InvokeAsync("BeginVisit", "appt-1", null);
        Assert.True(DateTimeOffset.UtcNow < expiresAt, "the guest knocked only after the invitation expired: the machine is too slow for this test's timing");

        var left = expiresAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(300);
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left);
        }

        using (var late = await PostAsync(server, "/api/guest/redeem", new { code, name = "Late Guest" }))
        {
            Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
            Assert.Equal("This invitation has expired.", await TitleAsync(late));
        }

        // The guest in the visit renews and resumes (a reconnect with the renewed token) past the expiry.
        using (var renewed = await PostAsync(server, "/api/guest/token", new { }, guest.Str("accessToken")))
        {
            Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
            await using var again = await HubClient.ConnectAsync(server.BaseAddress, (await renewed.Content.ReadFromJsonAsync<JsonElement>()).Str("accessToken"));
            Assert.Equal(seat.Str("participantId"), (await again.InvokeAsync("BeginVisit", "appt-1", null)).Str("participantId"));
            await again.InvokeAsync("LeaveVisit", visit.VisitId);
        }

        // Once the seat is given up, the expired invitation renews and opens nothing.
        using (var after = await PostAsync(server, "/api/guest/token", new { }, guest.Str("accessToken")))
        {
            Assert.Equal(HttpStatusCode.Conflict, after.StatusCode);
        }

        Assert.EndsWith("This invitation has expired.", await client.InvokeExpectingErrorAsync("BeginVisit", "appt-1", null));

        var token = await server.TokenAsync("nurse-1");
        using var past = await PostAsync(server, $"/api/visits/{visit.VisitId}/invitations", new { role = "guest", expiresAt = DateTimeOffset.UtcNow.AddMinutes(-1) }, token);
        Assert.Equal(HttpStatusCode.BadRequest, past.StatusCode);
        using var tooLate = await PostAsync(server, $"/api/visits/{visit.VisitId}/invitations", new { role = "guest", expiresAt = DateTimeOffset.UtcNow.AddDays(2) }, token);
        Assert.Equal(HttpStatusCode.BadRequest, tooLate.StatusCode);
        Assert.Contains("at the latest", await TitleAsync(tooLate), StringComparison.Ordinal);
        Assert.Contains(await AuditAsync(server, visit.VisitId), k => k.Kind == "guest-link-refused");
    }

    [Fact]
    public async Task TheLinkStopsWorkingWhenTheVisitEnds()
    {
        await using var server = await VisitServer.StartAsync();
        await using var visit = await VisitScenario.StartAsync(server, admit: true);
        var code = (await CreateAsync(server, "nurse-1", visit.VisitId, new { role = "interpreter" })).Str("code");
        var guest = await RedeemAsync(server, code, "Kim");
        await using var client = await HubClient.ConnectAsync(server.BaseAddress, guest.Str("accessToken"));
        await client.InvokeAsync("BeginVisit", "appt-1", null);

        await visit.Nurse.InvokeAsync("EndVisit", visit.VisitId);
        await client.WaitForAsync("VisitEnded");

        using var after = await PostAsync(server, "/api/guest/redeem", new { code, name = "Kim" });
        Assert.Equal(HttpStatusCode.Conflict, after.StatusCode);
        Assert.Equal("This visit has ended.", await TitleAsync(after));
        Assert.EndsWith("This visit has ended.", await client.InvokeExpectingErrorAsync("BeginVisit", "appt-1", null));
        using var renewed = await PostAsync(server, "/api/guest/token", new { }, guest.Str("accessToken"));
        Assert.Equal(HttpStatusCode.Conflict, renewed.StatusCode);
    }

    [Fact]
    public async Task AGuestTokenIsRefusedEverywhereButItsOwnVisit()
    {
        await using var server = await VisitServer.StartAsync();
        await using var visit = await VisitScenario.StartAsync(server, admit: false);
        await using var other = await VisitScenario.StartAsync(server, admit: false, appointmentId: "appt-2", patient: "patient-2", professional: "doctor-2");
        var guest = await RedeemAsync(server, (await CreateAsync(server, "nurse-1", visit.VisitId, new { role = "guest" })).Str("code"), "Visitor");
        var token = guest.Str("accessToken");

        foreach (var path in new[] { "/api/me", "/api/appointments/upcoming", $"/api/visits/{visit.VisitId}/invitations" })
        {
            using var refused = await server.GetAsync(path, token);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.Equal(GuestRefusals.Title, await TitleAsync(refused));
        }

        using (var fhir = await server.GetAsync("/fhir/Patient/patient-1", token))
        {
            Assert.Equal(HttpStatusCode.Forbidden, fhir.StatusCode);
        }

        using (var invite = await PostAsync(server, $"/api/visits/{visit.VisitId}/invitations", new { role = "guest" }, token))
        {
            Assert.Equal(HttpStatusCode.Forbidden, invite.StatusCode);
        }

        await using var client = await HubClient.ConnectAsync(server.BaseAddress, token);
        Assert.EndsWith("A guest link opens only its own visit.", await client.InvokeExpectingErrorAsync("BeginVisit", "appt-2", null));
        Assert.Contains("not in this visit", await client.InvokeExpectingErrorAsync("SendChat", other.VisitId, "c1", "hello"), StringComparison.Ordinal);
        Assert.Contains("not known", await client.InvokeExpectingErrorAsync("Admit", visit.VisitId, visit.PatientId), StringComparison.Ordinal);
        var seat = await client.InvokeAsync("BeginVisit", "appt-1", null);
        Assert.Equal("waiting", seat.Str("state"));

        // A renewed token keeps the same seat (one seat per invitation) and still opens nothing else.
        using var renewed = await PostAsync(server, "/api/guest/token", new { }, token);
        Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
        var renewedToken = (await renewed.Content.ReadFromJsonAsync<JsonElement>()).Str("accessToken");
        await using var secondDevice = await HubClient.ConnectAsync(server.BaseAddress, renewedToken);
        Assert.Equal(seat.Str("participantId"), (await secondDevice.InvokeAsync("BeginVisit", "appt-1", null)).Str("participantId"));
        using (var me = await server.GetAsync("/api/me", renewedToken))
        {
            Assert.Equal(HttpStatusCode.Forbidden, me.StatusCode);
        }

        // Guest claims in a token this server's guest key did not sign are not a guest, nor anyone.
        var dev = server.Server.Services.GetRequiredService<DevTokenIssuer>();
        var forged = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = GuestTokens.IssuerName,
            Audience = GuestTokens.AudienceName,
            Expires = DateTime.UtcNow.AddMinutes(5),
            Claims = new Dictionary<string, object> { ["sub"] = "guest_0000", [GuestTokens.InvitationClaim] = "0000", [GuestTokens.AppointmentClaim] = "appt-2" },
            SigningCredentials = new SigningCredentials(dev.SigningKey, SecurityAlgorithms.HmacSha256),
        });
        using (var forgedCall = await server.GetAsync("/api/ice-servers", forged))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, forgedCall.StatusCode);
        }
    }

    [Fact]
    public async Task OnlyTheVisitsProfessionalCanInviteAndBadRequestsGetPreciseErrors()
    {
        await using var server = await VisitServer.StartAsync();
        await using var visit = await VisitScenario.StartAsync(server, admit: false);
        var path = $"/api/visits/{visit.VisitId}/invitations";
        foreach (var person in new[] { "patient-1", "doctor-2", "rep-full" })
        {
            using var refused = await PostAsync(server, path, new { role = "guest" }, await server.TokenAsync(person));
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        using (var list = await server.GetAsync(path, await server.TokenAsync("patient-1")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        }

        var nurse = await server.TokenAsync("nurse-1");
        using (var badRole = await PostAsync(server, path, new { role = "doctor" }, nurse))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badRole.StatusCode);
            Assert.Equal("An invitation's role is interpreter or guest.", await TitleAsync(badRole));
        }

        using (var noVisit = await PostAsync(server, "/api/visits/v-nope/invitations", new { role = "guest" }, nurse))
        {
            Assert.Equal(HttpStatusCode.NotFound, noVisit.StatusCode);
        }

        using (var unknown = await PostAsync(server, "/api/guest/redeem", new { code = "not-a-code", name = "X" }))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Equal("This invitation link is not valid.", await TitleAsync(unknown));
        }

        var code = (await CreateAsync(server, "nurse-1", visit.VisitId, new { role = "guest" })).Str("code");
        using (var noName = await PostAsync(server, "/api/guest/redeem", new { code, name = "  " }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noName.StatusCode);
            Assert.Equal("Please give your name.", await TitleAsync(noName));
        }

        using (var longName = await PostAsync(server, "/api/guest/redeem", new { code, name = new string('x', 61) }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, longName.StatusCode);
        }

        // The code itself is never stored: only its hash.
        var contexts = server.Server.Services.GetRequiredService<IDbContextFactory<VideoVisitDb>>();
        await using var db = await contexts.CreateDbContextAsync().WaitAsync(VisitServer.Timeout);
        var row = await db.Invitations.SingleAsync().WaitAsync(VisitServer.Timeout);
        Assert.NotEqual(code, row.CodeHash);
        Assert.DoesNotContain(code, row.CodeHash, StringComparison.Ordinal);
        Assert.Equal(64, row.CodeHash.Length);
    }

    private static async Task<JsonElement> CreateAsync(VisitServer server, string personId, string visitId, object body)
    {
        using var response = await PostAsync(server, $"/api/visits/{visitId}/invitations", body, await server.TokenAsync(personId));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>().WaitAsync(VisitServer.Timeout);
    }

    private static async Task<JsonElement> RedeemAsync(VisitServer server, string code, string name)
    {
        using var response = await PostAsync(server, "/api/guest/redeem", new { code, name });
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>().WaitAsync(VisitServer.Timeout);
    }

    private static async Task<HttpResponseMessage> PostAsync(VisitServer server, string path, object body, string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await server.Http.SendAsync(request).WaitAsync(VisitServer.Timeout);
    }

    private static async Task<string> TitleAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>().WaitAsync(VisitServer.Timeout)).Str("title");

    private static async Task<List<(string Kind, string? Actor)>> AuditAsync(VisitServer server, string visitId)
    {
        // The audit trail is written through the store's queue: wait for what was queued so far.
        await server.Server.Services.GetRequiredService<VideoVisit.Server.Visits.IVisitStore>().FlushAsync().WaitAsync(VisitServer.Timeout);
        var contexts = server.Server.Services.GetRequiredService<IDbContextFactory<VideoVisitDb>>();
        await using var db = await contexts.CreateDbContextAsync().WaitAsync(VisitServer.Timeout);
        var rows = await db.VisitEvents.Where(e => e.VisitId == visitId).Select(e => new { e.Kind, e.ActorId }).ToListAsync().WaitAsync(VisitServer.Timeout);
        return rows.Select(r => (r.Kind, r.ActorId)).ToList();
    }
}
