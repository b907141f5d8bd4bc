using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using VideoVisit.Server.Tests.Integration;

namespace VideoVisit.Server.Tests.Fhir;

/// <summary>The clinic's system as the tests play it: FHIR JSON over HTTP with a bearer token.</summary>
public sealed class FhirClient(VisitServer server, string? token)
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public string? Token { get; } = token;

    /// <summary>A client token from the development issuer (<c>POST /api/dev/token {"clientId"}</c>).</summary>
    public static async Task<FhirClient> ForClientAsync(VisitServer server, string clientId = "demo-ehr", string? scope = null)
    {
        using var response = await server.Http.PostAsJsonAsync("/api/dev/token", new { clientId, scope }).WaitAsync(Timeout);
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync().WaitAsync(Timeout));
        return new FhirClient(server, body.RootElement.GetProperty("accessToken").GetString());
    }

    public Task<FhirAnswer> PutAsync(string path, string json, string? ifMatch = null) => SendAsync(HttpMethod.Put, path, json, ifMatch);

    public Task<FhirAnswer> PostAsync(string path, string json) => SendAsync(HttpMethod.Post, path, json);

    public Task<FhirAnswer> GetAsync(string path) => SendAsync(HttpMethod.Get, path, null);

    public async Task<FhirAnswer> SendAsync(HttpMethod method, string path, string? json, string? ifMatch = null, string contentType = "application/fhir+json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (Token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        using var response = await server.Http.SendAsync(request).WaitAsync(Timeout);
        var text = await response.Content.ReadAsStringAsync().WaitAsync(Timeout);
        return new FhirAnswer(
            response.StatusCode,
            response.Content.Headers.ContentType?.MediaType,
            response.Headers.ETag?.ToString(),
            response.Headers.Location?.ToString(),
            text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }
}

public sealed record FhirAnswer(HttpStatusCode Status, string? ContentType, string? ETag, string? Location, JsonElement Body)
{
    public string ResourceType => Body.GetProperty("resourceType").GetString()!;

    /// <summary>The OperationOutcome's first diagnostics line.</summary>
    public string Diagnostics => Body.GetProperty("issue")[0].GetProperty("diagnostics").GetString()!;

    public string VersionId => Body.GetProperty("meta").GetProperty("versionId").GetString()!;
}

/// <summary>Example resources written for these tests (not the specification's).</summary>
public static class Example
{
    public static string Instant(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    public static string Organization(string id, string name) =>
        $$"""{"resourceType":"Organization","id":"{{id}}","active":true,"name":"{{name}}"}""";

    public static string Patient(string id, string given, string family, string birthDate = "1980-04-12", string extra = "") =>
        $$"""{"resourceType":"Patient","id":"{{id}}","name":[{"given":["{{given}}"],"family":"{{family}}"}],"birthDate":"{{birthDate}}"{{extra}}}""";

    public static string Practitioner(string id, string given, string family) =>
        $$"""{"resourceType":"Practitioner","id":"{{id}}","name":[{"given":["{{given}}"],"family":"{{family}}"}]}""";

    public static string Role(string id, string practitioner, string organization, bool active = true) =>
        $$$"""{"resourceType":"PractitionerRole","id":"{{{id}}}","active":{{{(active ? "true" : "false")}}},"practitioner":{"reference":"Practitioner/{{{practitioner}}}"},"organization":{"reference":"Organization/{{{organization}}}"}}""";

    public static string Related(string id, string patient, string scope, bool active = true, string name = "Riku Related") =>
        $$$"""{"resourceType":"RelatedPerson","id":"{{{id}}}","active":{{{(active ? "true" : "false")}}},"patient":{"reference":"Patient/{{{patient}}}"},"name":[{"text":"{{{name}}}"}],"relationship":[{"coding":[{"system":"https://videovisit.example.org/fhir/CodeSystem/representation-scope","code":"{{{scope}}}"}]}]}""";

    /// <summary>The minimal Appointment the service must accept.</summary>
    public static string Appointment(string id, DateTimeOffset start, TimeSpan length, string practitioner, string status = "booked", params string[] patients)
    {
        var participants = patients.Select(p => "{\"actor\":{\"reference\":\"Patient/" + p + "\"},\"status\":\"accepted\"}")
            .Append("{\"actor\":{\"reference\":\"Practitioner/" + practitioner + "\"},\"status\":\"accepted\"}");
        return "{\"resourceType\":\"Appointment\",\"id\":\"" + id + "\",\"status\":\"" + status + "\",\"start\":\"" + Instant(start) + "\",\"end\":\"" + Instant(start + length)
            + "\",\"participant\":[" + string.Join(",", participants) + "]}";
    }

    public static string Entry(string method, string url, string resource, string? fullUrl = null, string? ifMatch = null) =>
        "{" + (fullUrl is null ? "" : "\"fullUrl\":\"" + fullUrl + "\",") + "\"resource\":" + resource + ",\"request\":{\"method\":\"" + method + "\",\"url\":\"" + url + "\""
        + (ifMatch is null ? "" : ",\"ifMatch\":" + JsonSerializer.Serialize(ifMatch)) + "}}";

    public static string Transaction(params string[] entries) =>
        $$"""{"resourceType":"Bundle","type":"transaction","entry":[{{string.Join(",", entries)}}]}""";
}
