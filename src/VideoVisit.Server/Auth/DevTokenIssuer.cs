using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Auth;

/// <summary>The development issuer: signs tokens for the seeded demo people. Never for production.</summary>
internal sealed class DevTokenIssuer
{
    public const string IssuerName = "videovisit-dev";
    public const string AudienceName = "videovisit";

    private readonly DevIssuerOptions _options;
    private readonly TimeProvider _time;

    public DevTokenIssuer(IOptions<AuthOptions> options, TimeProvider time)
    {
        _options = options.Value.DevIssuer;
        _time = time;
        SigningKey = SignedTokens.Key(_options.SigningKey, IssuerName);
    }

    public bool Enabled => _options.Enabled;

    public SymmetricSecurityKey SigningKey { get; }

    public (string AccessToken, DateTimeOffset ExpiresAt) Issue(Person person)
    {
        var now = _time.GetUtcNow();
        var expires = now.AddMinutes(_options.TokenLifetimeMinutes);
        var token = SignedTokens.Create(IssuerName, AudienceName, SigningKey, now, expires,
            [new Claim(JwtRegisteredClaimNames.Sub, person.Id), new Claim(JwtRegisteredClaimNames.Name, person.DisplayName)]);
        return (token, expires);
    }
}
