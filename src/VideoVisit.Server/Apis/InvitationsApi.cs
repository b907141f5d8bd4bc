using Microsoft.Extensions.Options;
using VideoVisit.Server.Auth;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Apis;

/// <summary>
/// Guest invitations. The visit's professional: <c>POST/GET /api/visits/{visitId}/invitations</c> and
/// <c>DELETE /api/visits/{visitId}/invitations/{id}</c> (revoke). The guest: <c>POST /api/guest/redeem</c>
/// (public: the code and the name given) returns a short-lived guest token for that one visit, and
/// <c>POST /api/guest/token</c> renews it while the invitation holds.
/// </summary>
internal static class InvitationsApi
{
    public static RouteGroupBuilder MapInvitationsApi(this RouteGroupBuilder api)
    {
        api.MapPost("/visits/{visitId}/invitations", Create);
        api.MapGet("/visits/{visitId}/invitations", List);
        api.MapDelete("/visits/{visitId}/invitations/{invitationId}", Revoke);
        return api;
    }

    public static IEndpointRouteBuilder MapGuestRedeemApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/guest/redeem", Redeem).AllowAnonymous();
        return app;
    }

    public static RouteGroupBuilder MapGuestTokenApi(this RouteGroupBuilder api)
    {
        api.MapPost("/guest/token", Renew);
        return api;
    }

    private static async Task<IResult> Create(string visitId, CreateInvitation body, HttpContext http, GuestInvitations invitations, TimeProvider time)
    {
        try
        {
            var (invitation, code) = await invitations.CreateAsync(http.User.PersonId(), visitId, body.Role, body.DisplayName, body.ExpiresAt);
            return TypedResults.Created(
                $"/api/visits/{visitId}/invitations/{invitation.Id}",
                new CreatedInvitation(View(invitation, time.GetUtcNow()), code, "/join/" + code));
        }
        catch (VisitException refused)
        {
            return Problems.From(refused);
        }
    }

    private static async Task<IResult> List(string visitId, HttpContext http, GuestInvitations invitations, TimeProvider time)
    {
        try
        {
            var now = time.GetUtcNow();
            return TypedResults.Ok((await invitations.ListAsync(http.User.PersonId(), visitId)).Select(i => View(i, now)).ToList());
        }
        catch (VisitException refused)
        {
            return Problems.From(refused);
        }
    }

    private static async Task<IResult> Revoke(string visitId, string invitationId, HttpContext http, GuestInvitations invitations)
    {
        try
        {
            await invitations.RevokeAsync(http.User.PersonId(), visitId, invitationId);
            return TypedResults.NoContent();
        }
        catch (VisitException refused)
        {
            return Problems.From(refused);
        }
    }

    private static async Task<IResult> Redeem(RedeemInvitation body, HttpContext http, GuestInvitations invitations, GuestTokens tokens, IOptions<VisitOptions> options)
    {
        try
        {
            var admission = await invitations.RedeemAsync(body.Code, body.Name);
            var expires = invitations.TokenExpiry(TimeSpan.FromMinutes(options.Value.GuestTokenMinutes));
            http.Response.Headers.CacheControl = "no-store";
            return TypedResults.Ok(TokenView(admission, tokens.Issue(admission, expires), expires));
        }
        catch (VisitException refused)
        {
            return Problems.From(refused);
        }
    }

    private static async Task<IResult> Renew(HttpContext http, GuestInvitations invitations, GuestTokens tokens, IOptions<VisitOptions> options)
    {
        if (GuestTokens.From(http.User) is not { } guest)
        {
            return TypedResults.Problem(title: "Only a guest's token is renewed here.", statusCode: StatusCodes.Status403Forbidden);
        }

        try
        {
            var admission = new GuestAdmission(await invitations.RenewAsync(guest.InvitationId), guest.Name);
            var expires = invitations.TokenExpiry(TimeSpan.FromMinutes(options.Value.GuestTokenMinutes));
            http.Response.Headers.CacheControl = "no-store";
            return TypedResults.Ok(TokenView(admission, tokens.Issue(admission, expires), expires));
        }
        catch (VisitException refused)
        {
            return Problems.From(refused);
        }
    }

    private static GuestToken TokenView(GuestAdmission admission, string token, DateTimeOffset expires) => new(
        token,
        expires,
        admission.Invitation.VisitId,
        admission.Invitation.AppointmentId,
        VisitRoom.Name(admission.Invitation.Role),
        admission.Name,
        admission.Invitation.GuestPersonId);

    private static InvitationView View(Invitation i, DateTimeOffset now) => new(
        i.Id,
        VisitRoom.Name(i.Role),
        i.Label,
        i.CreatedAt,
        i.ExpiresAt,
        i.RevokedAt,
        i.RevokedAt is not null ? "revoked" : now >= i.ExpiresAt ? "expired" : "active",
        i.GuestPersonId);

    internal sealed record CreateInvitation(string? Role, string? DisplayName, DateTimeOffset? ExpiresAt);

    internal sealed record RedeemInvitation(string? Code, string? Name);

    internal sealed record InvitationView(string Id, string Role, string? DisplayName, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? RevokedAt, string State, string GuestPersonId);

    internal sealed record CreatedInvitation(InvitationView Invitation, string Code, string Path);

    internal sealed record GuestToken(string AccessToken, DateTimeOffset ExpiresAt, string VisitId, string AppointmentId, string Role, string Name, string PersonId);
}
