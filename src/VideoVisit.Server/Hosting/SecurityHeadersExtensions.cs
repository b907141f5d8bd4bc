namespace VideoVisit.Server.Hosting;

internal static class SecurityHeadersExtensions
{
    /// <summary>
    /// The web app runs from its own origin only: scripts and styles from the build output (React's
    /// style attributes need <c>'unsafe-inline'</c> for styles, never for scripts), media from the camera
    /// and blobs, the API and the hub's WebSocket on the same host. <c>frame-ancestors 'none'</c> keeps
    /// the console's Admit, Remove and End from being clicked through another site's frame.
    /// </summary>
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
        "media-src 'self' blob: data:; font-src 'self' data:; worker-src 'self' blob:; object-src 'none'; " +
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'; report-uri /api/csp-report";

    /// <summary>Vite's dev server injects inline scripts for hot reload: only in Development with the proxy on.</summary>
    private const string DevServerScripts = " 'unsafe-inline' 'unsafe-eval'";

    /// <summary>One year, as browsers' preload lists expect.</summary>
    private const string StrictTransportSecurity = "max-age=31536000; includeSubDomains";

    /// <summary>Security headers on every response: pages, API, hub negotiation and errors alike.</summary>
    public static WebApplication UseVideoVisitSecurityHeaders(this WebApplication app)
    {
        var devServer = app.Environment.IsDevelopment() && !string.IsNullOrWhiteSpace(app.Configuration["Spa:DevServerUrl"]);
        var policy = devServer ? ContentSecurityPolicy.Replace("script-src 'self'", "script-src 'self'" + DevServerScripts, StringComparison.Ordinal) : ContentSecurityPolicy;
        // The OpenID provider: the app reads its discovery document and exchanges codes and refresh
        // tokens with it (connect-src), and may renew silently in a hidden frame (frame-src).
        var provider = Uri.TryCreate(app.Configuration["Auth:Authority"], UriKind.Absolute, out var authority) ? " " + authority.GetLeftPart(UriPartial.Authority) : "";
        policy += "; frame-src 'self'" + provider;
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            var host = context.Request.Host.Value;
            // CSP 3 lets 'self' cover ws(s) on the same host, but older WebKit does not: name the hub's origin.
            headers.ContentSecurityPolicy = string.IsNullOrEmpty(host)
                ? policy + "; connect-src 'self'" + provider
                : policy + "; connect-src 'self' ws://" + host + " wss://" + host + provider;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Permissions-Policy"] = "camera=(self), microphone=(self), display-capture=(self), geolocation=(), payment=()";
            if (context.Request.IsHttps)
            {
                headers.StrictTransportSecurity = StrictTransportSecurity;
            }

            return next(context);
        });
        return app;
    }
}
