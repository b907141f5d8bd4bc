using Microsoft.Extensions.Options;
using VideoVisit.Server.Auth;

namespace VideoVisit.Server.Apis;

/// <summary>
/// <c>GET /api/auth/config</c> (public): how the web app signs in. With an OpenID Connect provider:
/// its authority, the app's client id and scopes, and the paths a clinic registers as redirect URIs
/// (<c>&lt;origin&gt;/auth/callback</c>, <c>&lt;origin&gt;/auth/silent</c>, post-logout <c>&lt;origin&gt;/</c>).
/// With the development issuer: that it is on. Nothing here is secret.
/// </summary>
internal static class AuthConfigApi
{
    public static IEndpointRouteBuilder MapAuthConfigApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/auth/config", Get).AllowAnonymous();
        return app;
    }

    private static AuthConfig Get(IOptions<AuthOptions> options, DevTokenIssuer dev)
    {
        var auth = options.Value;
        var oidc = !string.IsNullOrWhiteSpace(auth.Authority) && !string.IsNullOrWhiteSpace(auth.ClientId);
        return new AuthConfig(
            DevIssuer: dev.Enabled,
            Authority: oidc ? auth.Authority : null,
            ClientId: oidc ? auth.ClientId : null,
            Scopes: auth.Scopes,
            RedirectPath: "/auth/callback",
            SilentRedirectPath: "/auth/silent",
            PostLogoutRedirectPath: "/");
    }

    internal sealed record AuthConfig(bool DevIssuer, string? Authority, string? ClientId, string Scopes, string RedirectPath, string SilentRedirectPath, string PostLogoutRedirectPath);
}
