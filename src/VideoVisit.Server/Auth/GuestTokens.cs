using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Auth;

/// <summary>What a guest's token says: who (the invitation's guest id and the name given) and the one visit it opens.</summary>
internal sealed record GuestPass(string PersonId, string Name, string InvitationId, string VisitId, string AppointmentId, string Role);

/// <summary>
/// Short-lived tokens for guests by invitation, signed with this server's own key (<c>Auth:GuestSigningKey</c>,
/// or a random key per process): issuer and audience of their own, so no external or development token
/// can pass for a guest's and a guest's cannot pass for anyone else's.
/// </summary>
internal sealed class GuestTokens
{
    public const string IssuerName = "videovisit-guest";
    public const string AudienceName = "videovisit-guest";
    public const string InvitationClaim = "videovisit_guest";
    public const string VisitClaim = "videovisit_visit";
    public const string AppointmentClaim = "videovisit_appointment";
    public const string RoleClaim = "videovisit_guest_role";

    /// <summary>The policy of the few doors a guest may use (the hub, ICE servers, the guest's renewal); the default policy refuses guests.</summary>
    public const string VisitOrGuestPolicy = "VisitOrGuest";

    private readonly TimeProvider _time;

    public GuestTokens(IOptions<AuthOptions> options, TimeProvider time)
    {
        _time = time;
        SigningKey = SignedTokens.Key(options.Value.GuestSigningKey, IssuerName);
    }

    public SymmetricSecurityKey SigningKey { get; }

    public string Issue(GuestAdmission admission, DateTimeOffset expires)
    {
        var invitation = admission.Invitation;
        var now = _time.GetUtcNow();
        return SignedTokens.Create(IssuerName, AudienceName, SigningKey, now, expires,
        [
            new Claim(JwtRegisteredClaimNames.Sub, invitation.GuestPersonId),
            new Claim(JwtRegisteredClaimNames.Name, admission.Name),
            new Claim(InvitationClaim, invitation.Id),
            new Claim(VisitClaim, invitation.VisitId),
            new Claim(AppointmentClaim, invitation.AppointmentId),
            new Claim(RoleClaim, VisitRoom.Name(invitation.Role)),
        ]);
    }

    /// <summary>Whether the caller came by an invitation link.</summary>
    public static bool IsGuest(ClaimsPrincipal? user) => user?.HasClaim(c => c.Type == InvitationClaim) == true || GuestIds.IsGuest(user.PersonId());

    public static GuestPass? From(ClaimsPrincipal? user)
    {
        if (user?.FindFirst(InvitationClaim)?.Value is not { } invitation)
        {
            return null;
        }

        return new GuestPass(
            user.PersonId() ?? "",
            user.FindFirst(JwtRegisteredClaimNames.Name)?.Value ?? "Guest",
            invitation,
            user.FindFirst(VisitClaim)?.Value ?? "",
            user.FindFirst(AppointmentClaim)?.Value ?? "",
            user.FindFirst(RoleClaim)?.Value ?? "guest");
    }

    /// <summary>
    /// After a token's signature and lifetime are checked: a guest token is one from this issuer with this
    /// key, and only such a token may carry guest claims or a guest id.
    /// </summary>
    public string? Refusal(SecurityToken token, ClaimsPrincipal? principal)
    {
        var fromGuestIssuer = token.Issuer == IssuerName;
        var signedByGuestKey = token.SigningKey is SymmetricSecurityKey key && key.KeyId == SigningKey.KeyId
            && CryptographicOperations.FixedTimeEquals(key.Key, SigningKey.Key);
        if (fromGuestIssuer != signedByGuestKey)
        {
            return "guest issuer and key do not match";
        }

        if (!fromGuestIssuer && IsGuest(principal))
        {
            return "guest claims from another issuer";
        }

        return fromGuestIssuer && (From(principal) is null || !GuestIds.IsGuest(principal.PersonId()))
            ? "guest token without its claims"
            : null;
    }

    public static string Expiry(DateTimeOffset at) => at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
}
