namespace VideoVisit.Server.Auth;

/// <summary>
/// Bound from the <c>Auth</c> section. An external issuer is configured by <see cref="Authority"/> and
/// <see cref="Audience"/> (OpenID Connect discovery), or by <see cref="Issuer"/>, <see cref="Audience"/>
/// and a symmetric <see cref="SigningKey"/>. The development issuer is off unless <c>Auth:DevIssuer:Enabled</c>.
/// </summary>
internal sealed class AuthOptions
{
    public const string SectionName = "Auth";

    public string? Authority { get; set; }

    public string? Audience { get; set; }

    public string? Issuer { get; set; }

    /// <summary>A symmetric HMAC key (at least 32 bytes of UTF-8) for an external issuer without discovery.</summary>
    public string? SigningKey { get; set; }

    /// <summary>The web app's client id at <see cref="Authority"/> (a public client: authorization code with PKCE, no secret).</summary>
    public string? ClientId { get; set; }

    /// <summary>The scopes the web app asks for.</summary>
    public string Scopes { get; set; } = "openid profile";

    /// <summary>
    /// Where the server reads the provider's discovery document when it reaches the provider by another
    /// address than browsers do (a container network); the issuer stays <see cref="Authority"/>.
    /// </summary>
    public string? MetadataAddress { get; set; }

    /// <summary>
    /// The key (at least 32 bytes of UTF-8) this server signs guests' tokens with; random per process
    /// when empty. Servers that share guests (a cluster) set the same key.
    /// </summary>
    public string? GuestSigningKey { get; set; }

    public bool RequireHttpsMetadata { get; set; } = true;

    public int ClockSkewSeconds { get; set; } = 30;

    public DevIssuerOptions DevIssuer { get; set; } = new();
}

internal sealed class DevIssuerOptions
{
    public bool Enabled { get; set; }

    public int TokenLifetimeMinutes { get; set; } = 60;

    /// <summary>Optional fixed key, so dev tokens survive a restart; random per process when empty.</summary>
    public string? SigningKey { get; set; }
}
