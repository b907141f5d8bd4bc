using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using VideoVisit.Server.Auth;

namespace VideoVisit.Server.Fhir;

/// <summary>
/// The development issuer's tokens for systems (<c>POST /api/dev/token {"clientId"}</c>): SMART system
/// scopes for the FHIR API, and no person. Only while the development issuer is on.
/// </summary>
internal sealed class DevClientTokens(DevTokenIssuer issuer, IOptions<AuthOptions> options, TimeProvider time)
{
    public const string DefaultScope = "system/*.read system/*.write";

    public (string AccessToken, DateTimeOffset ExpiresAt) Issue(string clientId, string? scope)
    {
        var now = time.GetUtcNow();
        var expires = now.AddMinutes(options.Value.DevIssuer.TokenLifetimeMinutes);
        var token = SignedTokens.Create(DevTokenIssuer.IssuerName, DevTokenIssuer.AudienceName, issuer.SigningKey, now, expires,
        [
            new Claim(JwtRegisteredClaimNames.Sub, clientId),
            new Claim("client_id", clientId),
            new Claim("scope", string.IsNullOrWhiteSpace(scope) ? DefaultScope : scope.Trim()),
        ]);
        return (token, expires);
    }
}
