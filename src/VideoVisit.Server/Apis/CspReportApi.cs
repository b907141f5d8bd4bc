using System.Text.Json;

namespace VideoVisit.Server.Apis;

/// <summary>
/// <c>POST /api/csp-report</c>: browsers report what the Content-Security-Policy blocked (the
/// <c>report-uri</c> of the policy). Operators see a violation in the log at Warning (directive and
/// blocked origin, nothing about the person); a release that breaks under the policy shows here first.
/// </summary>
internal static partial class CspReportApi
{
    /// <summary>A report is a few hundred bytes; anything larger is not a browser's report.</summary>
    private const int MaxReportBytes = 8 * 1024;

    public static IEndpointRouteBuilder MapCspReportApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/csp-report", ReceiveAsync).AllowAnonymous().DisableAntiforgery();
        return app;
    }

    private static async Task<IResult> ReceiveAsync(HttpRequest request, CspViolations violations, ILoggerFactory logs)
    {
        if (request.ContentLength is > MaxReportBytes)
        {
            return TypedResults.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        using var limited = new MemoryStream();
        var buffer = new byte[1024];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, request.HttpContext.RequestAborted)) > 0)
        {
            if (limited.Length + read > MaxReportBytes)
            {
                return TypedResults.StatusCode(StatusCodes.Status413PayloadTooLarge);
            }

            limited.Write(buffer, 0, read);
        }

        CspViolation? violation;
        try
        {
            violation = Parse(limited.ToArray());
        }
        catch (JsonException)
        {
            violation = null;
        }

        if (violation is null)
        {
            return TypedResults.BadRequest();
        }

        // Anyone can post here: counted always, logged at most a few times a minute.
        if (violations.Add(violation))
        {
            Violation(logs.CreateLogger("VideoVisit.Server.Csp"), violation.Directive, violation.BlockedOrigin);
        }

        return TypedResults.NoContent();
    }

    /// <summary>The legacy <c>application/csp-report</c> body: <c>{"csp-report": {...}}</c>.</summary>
    private static CspViolation? Parse(byte[] body)
    {
        using var doc = JsonDocument.Parse(body);
        if (!doc.RootElement.TryGetProperty("csp-report", out var report) || report.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var directive = Text(report, "effective-directive") ?? Text(report, "violated-directive") ?? "unknown";
        var blocked = Text(report, "blocked-uri") ?? "";
        // Only the origin of what was blocked: a full URL could carry a query with personal data.
        var origin = Uri.TryCreate(blocked, UriKind.Absolute, out var uri) && uri.IsAbsoluteUri && !string.IsNullOrEmpty(uri.Host)
            ? uri.GetLeftPart(UriPartial.Authority)
            : blocked.Split(':', 2)[0];
        return new CspViolation(Cut(directive), Cut(origin));
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string Cut(string value) => value.Length > 200 ? value[..200] : value;

    [LoggerMessage(EventId = 1100, EventName = "CspViolation", Level = LogLevel.Warning, Message = "Content-Security-Policy blocked {Directive} from {BlockedOrigin}")]
    private static partial void Violation(ILogger logger, string directive, string blockedOrigin);
}

/// <summary>One reported violation: the directive and the origin of what was blocked.</summary>
internal sealed record CspViolation(string Directive, string BlockedOrigin);

/// <summary>The latest violations (at most 100), for diagnostics and tests.</summary>
internal sealed class CspViolations : IDisposable
{
    private const int Keep = 100;
    private readonly Queue<CspViolation> _latest = new();
    private readonly System.Threading.RateLimiting.FixedWindowRateLimiter _logged = new(new()
    {
        PermitLimit = 10,
        Window = TimeSpan.FromMinutes(1),
        QueueLimit = 0,
    });

    private long _total;

    public long Total => Interlocked.Read(ref _total);

    public IReadOnlyList<CspViolation> Latest
    {
        get
        {
            lock (_latest)
            {
                return [.. _latest];
            }
        }
    }

    /// <summary>Keeps the violation; true when it should be logged too (at most 10 a minute).</summary>
    public bool Add(CspViolation violation)
    {
        Interlocked.Increment(ref _total);
        lock (_latest)
        {
            _latest.Enqueue(violation);
            if (_latest.Count > Keep)
            {
                _latest.Dequeue();
            }
        }

        using var lease = _logged.AttemptAcquire();
        return lease.IsAcquired;
    }

    public void Dispose() => _logged.Dispose();
}
