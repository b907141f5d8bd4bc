using System.Text.Json;

namespace VideoVisit.Server.Visits;

/// <summary>
/// Turns the web app's device-check report (<c>{state, camera, microphone, speaker, popups, browser,
/// network, ...}</c>) into what the professional sees: the machine state and one short line.
/// </summary>
public static class PrecheckReports
{
    private const int MaxStateLength = 40;
    private const int MaxSummaryLength = 200;
    private static readonly string[] Checks = ["camera", "microphone", "speaker", "popups", "browser", "network"];

    public static PrecheckSummary Summarize(JsonElement report, DateTimeOffset now)
    {
        var state = "unknown";
        if (report.TryGetProperty("state", out var s) && s.ValueKind == JsonValueKind.String && IsToken(s.GetString()))
        {
            state = s.GetString()!;
        }

        string? summary = null;
        if (report.TryGetProperty("summary", out var given) && given.ValueKind == JsonValueKind.String)
        {
            summary = given.GetString();
        }

        if (string.IsNullOrWhiteSpace(summary))
        {
            var parts = new List<string>();
            foreach (var check in Checks)
            {
                if (report.TryGetProperty(check, out var value) && Describe(value) is { } text)
                {
                    parts.Add(check + ": " + text);
                }
            }

            summary = parts.Count > 0 ? string.Join(", ", parts) : state;
        }

        summary = summary.Trim();
        if (summary.Length > MaxSummaryLength)
        {
            summary = summary[..(MaxSummaryLength - 1)] + "…";
        }

        return new PrecheckSummary(state, summary, now);
    }

    private static string? Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => Short(value.GetString()),
        JsonValueKind.True => "ok",
        JsonValueKind.False => "problem",
        JsonValueKind.Object when value.TryGetProperty("state", out var inner) && inner.ValueKind == JsonValueKind.String => Short(inner.GetString()),
        JsonValueKind.Object when value.TryGetProperty("ok", out var ok) && ok.ValueKind is JsonValueKind.True or JsonValueKind.False =>
            ok.ValueKind == JsonValueKind.True ? "ok" : "problem",
        _ => null,
    };

    private static string? Short(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : text.Length > MaxStateLength ? text[..MaxStateLength] : text;

    private static bool IsToken(string? text) =>
        !string.IsNullOrEmpty(text) && text.Length <= MaxStateLength && text.All(c => char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_');
}
