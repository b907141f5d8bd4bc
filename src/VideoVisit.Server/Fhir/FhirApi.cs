using System.Globalization;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using VideoVisit.Server.Data;

namespace VideoVisit.Server.Fhir;

/// <summary>Limits of the FHIR API, bound from the <c>Fhir</c> section.</summary>
internal sealed class FhirOptions
{
    public const string SectionName = "Fhir";

    /// <summary>The largest request body (a transaction Bundle); larger gets 413.</summary>
    public int MaxRequestBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>The most entries in one transaction Bundle.</summary>
    public int MaxBundleEntries { get; set; } = 20_000;

    /// <summary><c>_count</c> when a search gives none, and its ceiling.</summary>
    public int DefaultCount { get; set; } = 50;

    public int MaxCount { get; set; } = 1000;
}

/// <summary>
/// <c>/fhir</c>: the FHIR R4 REST API (JSON) for the clinic's systems. Every answer is FHIR JSON; every
/// refusal is an OperationOutcome and changes nothing.
/// </summary>
internal static class FhirApi
{
    public static WebApplication MapFhirApi(this WebApplication app)
    {
        var fhir = app.MapGroup("/fhir").AllowAnonymous();
        fhir.MapGet("/metadata", Metadata);
        fhir.MapPost("/", Transaction);
        fhir.MapGet("/{type}", Search);
        fhir.MapPost("/{type}", Create);
        fhir.MapGet("/{type}/{id}", Read);
        fhir.MapPut("/{type}/{id}", Update);
        fhir.MapMethods("/{type}/{id}", ["DELETE", "PATCH"], NotSupportedInteraction);
        return app;
    }

    public static FhirResponse Metadata(HttpContext http) => FhirResponse.Resource(200, FhirCapability.Statement(BaseUrl(http)));

    public static async Task<FhirResponse> Read(string type, string id, HttpContext http, IDbContextFactory<VideoVisitDb> contexts, CancellationToken cancellationToken)
    {
        try
        {
            Supported(type);
            Allow(http, type, write: false);
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var row = await db.FhirResources.AsNoTracking().FirstOrDefaultAsync(r => r.ResourceType == type && r.Id == id, cancellationToken)
                ?? throw new FhirException(StatusCodes.Status404NotFound, OperationOutcome.IssueType.NotFound, $"{type}/{id} does not exist.");
            return FhirResponse.Stored(200, row.Json, row.VersionId, row.LastUpdated);
        }
        catch (FhirException refused)
        {
            return FhirResponse.Refused(refused);
        }
    }

    public static Task<FhirResponse> Update(string type, string id, HttpContext http, FhirWriter writer, IOptions<FhirOptions> options, CancellationToken cancellationToken) =>
        WriteOneAsync(type, id, http, writer, options.Value, cancellationToken);

    public static Task<FhirResponse> Create(string type, HttpContext http, FhirWriter writer, IOptions<FhirOptions> options, CancellationToken cancellationToken) =>
        WriteOneAsync(type, null, http, writer, options.Value, cancellationToken);

    public static FhirResponse NotSupportedInteraction(string type, string id) =>
        FhirResponse.Refused(new FhirException(StatusCodes.Status405MethodNotAllowed, OperationOutcome.IssueType.NotSupported, "Only read, create (POST), update (PUT) and search are supported; cancel an Appointment by updating its status, revoke a RelatedPerson by active=false."));

    private static async Task<FhirResponse> WriteOneAsync(string type, string? id, HttpContext http, FhirWriter writer, FhirOptions options, CancellationToken cancellationToken)
    {
        try
        {
            Supported(type);
            Allow(http, type, write: true);
            var body = await ReadBodyAsync(http.Request, options, cancellationToken);
            var resource = FhirJson.Parse(body.Span);
            var ifMatch = http.Request.Headers.IfMatch.ToString();
            var results = await writer.WriteAsync([new FhirWrite(resource, id is null, type, id, ifMatch.Length == 0 ? null : ifMatch)], FhirAccess.ClientId(http.User), cancellationToken);
            var result = results[0];
            var response = FhirResponse.Stored(result.Created ? 201 : 200, result.Json, result.VersionId, result.LastUpdated);
            response.Location = $"{BaseUrl(http)}/{result.ResourceType}/{result.Id}/_history/{result.VersionId.ToString(CultureInfo.InvariantCulture)}";
            return response;
        }
        catch (FhirException refused)
        {
            return FhirResponse.Refused(refused);
        }
    }

    /// <summary><c>POST /fhir</c> with a transaction Bundle: all entries or none.</summary>
    public static async Task<FhirResponse> Transaction(HttpContext http, FhirWriter writer, IOptions<FhirOptions> options, CancellationToken cancellationToken)
    {
        try
        {
            if (http.User.Identity?.IsAuthenticated != true)
            {
                throw FhirAccess.Refusal(http.User, "Bundle", write: true)!;
            }

            var body = await ReadBodyAsync(http.Request, options.Value, cancellationToken);
            if (FhirJson.Parse(body.Span) is not Bundle bundle)
            {
                throw FhirException.Invalid("POST /fhir takes a Bundle of type transaction.");
            }

            if (bundle.Type != Bundle.BundleType.Transaction)
            {
                throw new FhirException(StatusCodes.Status400BadRequest, OperationOutcome.IssueType.NotSupported, $"Bundle.type is {bundle.Type?.ToString() ?? "missing"}; only transaction is supported.");
            }

            if (bundle.Entry.Count > options.Value.MaxBundleEntries)
            {
                throw new FhirException(StatusCodes.Status413PayloadTooLarge, OperationOutcome.IssueType.TooCostly, $"A transaction may hold at most {options.Value.MaxBundleEntries} entries.");
            }

            var writes = new List<FhirWrite>(bundle.Entry.Count);
            for (var i = 0; i < bundle.Entry.Count; i++)
            {
                writes.Add(Entry(http, bundle.Entry[i], i));
            }

            var results = await writer.WriteAsync(writes, FhirAccess.ClientId(http.User), cancellationToken);
            return FhirResponse.Json(200, TransactionResponse(BaseUrl(http), results));
        }
        catch (FhirException refused)
        {
            return FhirResponse.Refused(refused);
        }
    }

    private static FhirWrite Entry(HttpContext http, Bundle.EntryComponent entry, int index)
    {
        var where = $"Bundle.entry[{index.ToString(CultureInfo.InvariantCulture)}]";
        if (entry.Resource is null || entry.Request is null)
        {
            throw FhirException.Invalid($"{where} needs a resource and a request.");
        }

        var url = entry.Request.Url?.Split('?')[0].Trim('/') ?? "";
        var parts = url.Split('/');
        var method = entry.Request.Method;
        if (method == Bundle.HTTPVerb.PUT && parts.Length == 2)
        {
            Allow(http, parts[0], write: true, where);
            return new FhirWrite(entry.Resource, false, parts[0], parts[1], entry.Request.IfMatch, entry.FullUrl);
        }

        if (method == Bundle.HTTPVerb.POST && parts.Length == 1 && parts[0].Length > 0)
        {
            Allow(http, parts[0], write: true, where);
            return new FhirWrite(entry.Resource, true, parts[0], null, entry.Request.IfMatch, entry.FullUrl);
        }

        throw new FhirException(StatusCodes.Status400BadRequest, OperationOutcome.IssueType.NotSupported, $"{where}.request: only PUT Type/id and POST Type are supported in a transaction (got {method} {entry.Request.Url}).");
    }

    private static byte[] TransactionResponse(string baseUrl, IReadOnlyList<FhirWriteResult> results)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("resourceType", "Bundle");
            json.WriteString("type", "transaction-response");
            json.WriteStartArray("entry");
            foreach (var result in results)
            {
                json.WriteStartObject();
                json.WriteStartObject("response");
                json.WriteString("status", result.Created ? "201 Created" : "200 OK");
                json.WriteString("location", $"{result.ResourceType}/{result.Id}/_history/{result.VersionId.ToString(CultureInfo.InvariantCulture)}");
                json.WriteString("etag", FhirResponse.ETag(result.VersionId));
                json.WriteString("lastModified", result.LastUpdated.ToString("yyyy-MM-ddTHH:mm:ss.fffzzz", CultureInfo.InvariantCulture));
                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        _ = baseUrl;
        return buffer.ToArray();
    }

    /// <summary><c>GET /fhir/Appointment?patient=&amp;practitioner=&amp;date=ge..&amp;date=le..&amp;status=&amp;_count=</c>.</summary>
    public static async Task<FhirResponse> Search(string type, HttpContext http, IDbContextFactory<VideoVisitDb> contexts, IOptions<FhirOptions> options, CancellationToken cancellationToken)
    {
        try
        {
            Supported(type);
            Allow(http, type, write: false);
            if (type != "Appointment")
            {
                throw new FhirException(StatusCodes.Status400BadRequest, OperationOutcome.IssueType.NotSupported, $"Search is supported on Appointment only; read a {type} by id.");
            }

            var query = AppointmentQuery.From(http.Request.Query, options.Value);
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var (total, rows) = await query.RunAsync(db, cancellationToken);
            return FhirResponse.Json(200, SearchSet(BaseUrl(http) + http.Request.Path.Value!.Replace("/fhir", "", StringComparison.Ordinal) + http.Request.QueryString, BaseUrl(http), total, rows));
        }
        catch (FhirException refused)
        {
            return FhirResponse.Refused(refused);
        }
    }

    private static byte[] SearchSet(string self, string baseUrl, int total, IReadOnlyList<FhirResourceRow> rows)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("resourceType", "Bundle");
            json.WriteString("type", "searchset");
            json.WriteNumber("total", total);
            json.WriteStartArray("link");
            json.WriteStartObject();
            json.WriteString("relation", "self");
            json.WriteString("url", self);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteStartArray("entry");
            foreach (var row in rows)
            {
                json.WriteStartObject();
                json.WriteString("fullUrl", $"{baseUrl}/{row.ResourceType}/{row.Id}");
                json.WritePropertyName("resource");
                json.WriteRawValue(row.Json, skipInputValidation: true);
                json.WriteStartObject("search");
                json.WriteString("mode", "match");
                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void Supported(string type)
    {
        if (FhirConstants.Order(type) < 0)
        {
            throw new FhirException(StatusCodes.Status404NotFound, OperationOutcome.IssueType.NotSupported, $"Resource type {type} is not supported here (supported: {string.Join(", ", FhirConstants.Types)}; see /fhir/metadata).");
        }
    }

    private static void Allow(HttpContext http, string type, bool write, string? where = null)
    {
        if (FhirAccess.Refusal(http.User, type, write) is { } refused)
        {
            throw where is null ? refused : new FhirException(refused.Status, FhirOutcome.Prefix(refused.Outcome, where + ": "));
        }
    }

    /// <summary>The body, up to the limit: a larger one is refused with 413 before it is parsed.</summary>
    private static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpRequest request, FhirOptions options, CancellationToken cancellationToken)
    {
        var limit = options.MaxRequestBytes;
        var tooLarge = new FhirException(StatusCodes.Status413PayloadTooLarge, OperationOutcome.IssueType.TooCostly, $"The body is larger than {limit.ToString(CultureInfo.InvariantCulture)} bytes (Fhir:MaxRequestBytes); send a smaller transaction.");
        if (request.ContentLength > limit)
        {
            throw tooLarge;
        }

        var contentType = request.ContentType ?? "";
        if (contentType.Length > 0 && !contentType.StartsWith(FhirConstants.ContentType, StringComparison.OrdinalIgnoreCase) && !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            throw new FhirException(StatusCodes.Status415UnsupportedMediaType, OperationOutcome.IssueType.NotSupported, $"Content-Type {contentType} is not supported: send {FhirConstants.ContentType}.");
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw tooLarge;
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            throw FhirException.Invalid("The body is empty: send a FHIR resource as JSON.");
        }

        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    private static string BaseUrl(HttpContext http) => $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}/fhir";
}

/// <summary>A FHIR answer: JSON with <c>application/fhir+json</c>, and for a resource its ETag and Last-Modified.</summary>
internal sealed class FhirResponse : IResult
{
    private readonly int _status;
    private readonly byte[] _body;

    private FhirResponse(int status, byte[] body)
    {
        _status = status;
        _body = body;
    }

    public string? ETagValue { get; private init; }

    public DateTimeOffset? LastModified { get; private init; }

    public string? Location { get; set; }

    public static string ETag(int versionId) => "W/\"" + versionId.ToString(CultureInfo.InvariantCulture) + "\"";

    public static FhirResponse Resource(int status, Resource resource) => new(status, FhirJson.SerializeToUtf8(resource));

    public static FhirResponse Json(int status, byte[] json) => new(status, json);

    public static FhirResponse Stored(int status, string json, int versionId, DateTimeOffset lastUpdated) =>
        new(status, Encoding.UTF8.GetBytes(json)) { ETagValue = ETag(versionId), LastModified = lastUpdated };

    public static FhirResponse Refused(FhirException refused) => new(refused.Status, FhirJson.SerializeToUtf8(refused.Outcome));

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = _status;
        response.ContentType = FhirConstants.ContentType + "; charset=utf-8";
        if (ETagValue is not null)
        {
            response.Headers.ETag = ETagValue;
        }

        if (LastModified is { } modified)
        {
            response.Headers.LastModified = modified.ToString("R", CultureInfo.InvariantCulture);
        }

        if (Location is not null)
        {
            response.Headers.Location = Location;
        }

        if (_status == StatusCodes.Status401Unauthorized)
        {
            response.Headers.WWWAuthenticate = "Bearer";
        }

        response.ContentLength = _body.Length;
        await response.Body.WriteAsync(_body, httpContext.RequestAborted);
    }
}
