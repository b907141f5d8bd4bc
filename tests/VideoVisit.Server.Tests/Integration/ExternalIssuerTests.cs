using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace VideoVisit.Server.Tests.Integration;

/// <summary>An external issuer configured by authority and audience (OpenID Connect discovery).</summary>
public sealed class ExternalIssuerTests
{
    private const string Audience = "videovisit-oidc-tests";
    private static readonly string[] SigningAlgorithms = ["RS256"];

    [Fact]
    public async Task TokensFromADiscoveredIssuerAreAcceptedAndOthersAreNot()
    {
        using var rsa = RSA.Create(2048);
        var key = new RsaSecurityKey(rsa) { KeyId = "test-key-1" };
        await using var issuer = await StartIssuerAsync(key);
        var authority = issuer.Urls.First();
        await using var server = await VisitServer.StartAsync(new Dictionary<string, string?>
        {
            ["Auth:DevIssuer:Enabled"] = "false",
            ["Auth:Authority"] = authority,
            ["Auth:Audience"] = Audience,
            ["Auth:RequireHttpsMetadata"] = "false",
        });

        using var valid = await server.GetAsync("/api/me", Token(key, authority, Audience, "nurse-1"));
        using var wrongAudience = await server.GetAsync("/api/me", Token(key, authority, "someone-else", "nurse-1"));
        using var wrongIssuer = await server.GetAsync("/api/me", Token(key, "http://elsewhere.example", Audience, "nurse-1"));
        using var otherRsa = RSA.Create(2048);
        using var wrongKey = await server.GetAsync("/api/me", Token(new RsaSecurityKey(otherRsa) { KeyId = "test-key-1" }, authority, Audience, "nurse-1"));

        Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        Assert.Contains("\"nurse-1\"", await valid.Content.ReadAsStringAsync().WaitAsync(VisitServer.Timeout), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongAudience.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongIssuer.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongKey.StatusCode);
        await using var hub = await HubClient.ConnectAsync(server.BaseAddress, Token(key, authority, Audience, "nurse-1"));
        Assert.Equal("admitted", (await hub.InvokeAsync("BeginVisit", "appt-1", null)).Str("state"));
    }

    private static string Token(SecurityKey key, string issuer, string audience, string personId) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Expires = DateTime.UtcNow.AddMinutes(10),
            Subject = new ClaimsIdentity([new Claim("sub", personId)]),
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });

    /// <summary>A stand-in identity provider: the discovery document and its signing key set.</summary>
    private static async Task<WebApplication> StartIssuerAsync(RsaSecurityKey key)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(key);
        app.MapGet("/.well-known/openid-configuration", (HttpContext http) =>
        {
            var self = $"{http.Request.Scheme}://{http.Request.Host}";
            return Results.Json(new Dictionary<string, object>
            {
                ["issuer"] = self,
                ["jwks_uri"] = self + "/jwks",
                ["id_token_signing_alg_values_supported"] = SigningAlgorithms,
            });
        });
        app.MapGet("/jwks", () => Results.Json(new { keys = new[] { new { kty = jwk.Kty, kid = jwk.Kid, use = "sig", alg = "RS256", n = jwk.N, e = jwk.E } } }));
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return app;
    }
}

public sealed class AuthConfigurationTests
{
    [Theory]
    [InlineData(null, null, null, "No token issuer")]
    [InlineData("http://127.0.0.1:1", null, null, "Auth:Audience is required")]
    [InlineData(null, "an-audience", "a-signing-key-that-is-at-least-32-bytes-long", "Auth:Issuer is required")]
    public async Task ServerWithoutAWorkableIssuerRefusesToStartNamingTheSetting(string? authority, string? audience, string? key, string message)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Auth:DevIssuer:Enabled"] = "false",
            ["Auth:Authority"] = authority,
            ["Auth:Audience"] = audience,
            ["Auth:SigningKey"] = key,
        };

        var refused = await Assert.ThrowsAnyAsync<Exception>(async () => await (await VisitServer.StartAsync(settings)).DisposeAsync());

        Assert.Contains(message, refused.Message, StringComparison.Ordinal);
    }
}
