using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
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
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = DevTokenIssuer.IssuerName,
            Audience = DevTokenIssuer.AudienceName,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            Subject = new ClaimsIdentity([
                new Claim(JwtRegisteredClaimNames.Sub, clientId),
                new Claim("client_id", clientId),
                new Claim("scope", string.IsNullOrWhiteSpace(scope) ? DefaultScope : scope.Trim()),
            ]),
            SigningCredentials = new SigningCredentials(issuer.SigningKey, SecurityAlgorithms.HmacSha256),
        });
        return (token, expires);
    }
}
