using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace VideoVisit.Server.Auth;

internal static partial class AuthExtensions
{
    /// <summary>JWT bearer for the API and the hub (whose WebSocket carries the token in <c>access_token</c>).</summary>
    public static WebApplicationBuilder AddVideoVisitAuth(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName)
            .Validate(o => string.IsNullOrEmpty(o.SigningKey) || Encoding.UTF8.GetByteCount(o.SigningKey) >= 32, "Auth:SigningKey must be at least 32 bytes.")
            .Validate(o => string.IsNullOrEmpty(o.DevIssuer.SigningKey) || Encoding.UTF8.GetByteCount(o.DevIssuer.SigningKey) >= 32, "Auth:DevIssuer:SigningKey must be at least 32 bytes.")
            .Validate(o => string.IsNullOrEmpty(o.GuestSigningKey) || Encoding.UTF8.GetByteCount(o.GuestSigningKey) >= 32, "Auth:GuestSigningKey must be at least 32 bytes.")
            .Validate(o => o.DevIssuer.TokenLifetimeMinutes is > 0 and <= 24 * 60, "Auth:DevIssuer:TokenLifetimeMinutes must be 1..1440.")
            .Validate(
                o => o.DevIssuer.Enabled || !string.IsNullOrWhiteSpace(o.Authority) || !string.IsNullOrEmpty(o.SigningKey),
                "No token issuer is configured: set Auth:Authority and Auth:Audience (OpenID Connect), or Auth:Issuer, Auth:Audience and Auth:SigningKey, or Auth:DevIssuer:Enabled=true for the demo.")
            .Validate(
                o => !o.DevIssuer.Enabled || (string.IsNullOrWhiteSpace(o.Authority) && string.IsNullOrEmpty(o.SigningKey)),
                "Auth:DevIssuer:Enabled is true together with an external issuer (Auth:Authority or Auth:SigningKey): " +
                "the development issuer lets anyone sign in as anyone, so it never runs beside a real one. Set Auth:DevIssuer:Enabled=false.")
            .Validate(
                o => (string.IsNullOrWhiteSpace(o.Authority) && string.IsNullOrEmpty(o.SigningKey)) || !string.IsNullOrWhiteSpace(o.Audience),
                "Auth:Audience is required with Auth:Authority or Auth:SigningKey.")
            .Validate(
                o => string.IsNullOrEmpty(o.SigningKey) || !string.IsNullOrWhiteSpace(o.Issuer) || !string.IsNullOrWhiteSpace(o.Authority),
                "Auth:Issuer is required with Auth:SigningKey.")
            .ValidateOnStart();
        builder.Services.AddSingleton<DevTokenIssuer>();
        builder.Services.AddSingleton<GuestTokens>();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<AuthOptions>, DevTokenIssuer, GuestTokens>((jwt, options, dev, guests) => Configure(jwt, options.Value, dev, guests));
        builder.Services.AddAuthorization(authorization =>
        {
            // Everything needs a signed-in person; a guest by invitation reaches only the doors that allow them by name.
            authorization.DefaultPolicy = new AuthorizationPolicyBuilder()
                .RequireAuthenticatedUser()
                .RequireAssertion(context => !GuestTokens.IsGuest(context.User))
                .Build();
            authorization.AddPolicy(GuestTokens.VisitOrGuestPolicy, policy => policy.RequireAuthenticatedUser());
        });
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, GuestRefusals>();
        return builder;
    }

    public static WebApplication UseVideoVisitAuth(this WebApplication app)
    {
        if (app.Services.GetRequiredService<DevTokenIssuer>().Enabled)
        {
            DevIssuerEnabled(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("VideoVisit.Server.Auth"));
        }

        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }

    /// <summary>The person id of an authenticated caller: the token's <c>sub</c>.</summary>
    public static string? PersonId(this ClaimsPrincipal? user) => user?.FindFirst(JwtRegisteredClaimNames.Sub)?.Value;

    private static void Configure(JwtBearerOptions jwt, AuthOptions options, DevTokenIssuer dev, GuestTokens guests)
    {
        jwt.MapInboundClaims = false;
        jwt.RequireHttpsMetadata = options.RequireHttpsMetadata;
        if (!string.IsNullOrWhiteSpace(options.Authority))
        {
            jwt.Authority = options.Authority;
            if (!string.IsNullOrWhiteSpace(options.MetadataAddress))
            {
                jwt.MetadataAddress = options.MetadataAddress;
            }
        }

        var issuers = new List<string>();
        var audiences = new List<string>();
        var keys = new List<SecurityKey>();
        if (!string.IsNullOrWhiteSpace(options.Issuer))
        {
            issuers.Add(options.Issuer);
        }

        if (!string.IsNullOrWhiteSpace(options.Audience))
        {
            audiences.Add(options.Audience);
        }

        if (!string.IsNullOrEmpty(options.SigningKey))
        {
            keys.Add(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(options.SigningKey)));
        }

        if (dev.Enabled)
        {
            issuers.Add(DevTokenIssuer.IssuerName);
            audiences.Add(DevTokenIssuer.AudienceName);
            keys.Add(dev.SigningKey);
        }

        issuers.Add(GuestTokens.IssuerName);
        audiences.Add(GuestTokens.AudienceName);
        keys.Add(guests.SigningKey);

        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuers = issuers,
            ValidAudiences = audiences,
            IssuerSigningKeys = keys,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ClockSkew = TimeSpan.FromSeconds(options.ClockSkewSeconds),
            NameClaimType = JwtRegisteredClaimNames.Sub,
        };
        jwt.Events = new JwtBearerEvents
        {
            // Browsers cannot set headers on WebSockets: the hub's token comes in the query string.
            OnMessageReceived = context =>
            {
                var token = context.Request.Query["access_token"];
                if (!string.IsNullOrEmpty(token) && context.HttpContext.Request.Path.StartsWithSegments("/hubs"))
                {
                    context.Token = token;
                }

                return Task.CompletedTask;
            },
            OnTokenValidated = context =>
            {
                if (guests.Refusal(context.SecurityToken, context.Principal) is { } refusal)
                {
                    context.Fail(refusal);
                }

                return Task.CompletedTask;
            },
        };
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message =
        "!!! DEVELOPMENT ISSUER ENABLED (Auth:DevIssuer:Enabled): anyone can sign in as any demo person through /api/dev/token. " +
        "This is the demo mode; never run it with real patients. Configure Auth:Authority/Auth:Audience and set Auth:DevIssuer:Enabled=false. !!!")]
    private static partial void DevIssuerEnabled(ILogger logger);
}
