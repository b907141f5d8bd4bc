using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace VideoVisit.Server.Auth;

/// <summary>The tokens this server signs itself (the development issuer's, and guests'): HMAC-SHA256 JWTs.</summary>
internal static class SignedTokens
{
    /// <summary>The configured key, or a random one for this process when none is set.</summary>
    public static SymmetricSecurityKey Key(string? configured, string keyId) =>
        new(string.IsNullOrEmpty(configured) ? RandomNumberGenerator.GetBytes(32) : Encoding.UTF8.GetBytes(configured)) { KeyId = keyId };

    /// <summary>A token valid from <paramref name="now"/> until <paramref name="expires"/>.</summary>
    public static string Create(string issuer, string audience, SymmetricSecurityKey key, DateTimeOffset now, DateTimeOffset expires, IEnumerable<Claim> claims) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            Subject = new ClaimsIdentity(claims),
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        });
}
