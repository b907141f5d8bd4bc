using System.Text.Json;

namespace VideoVisit.Server.Tests.Integration;

/// <summary>Reading hub results and snapshots.</summary>
public static class Json
{
    public static string Str(this JsonElement e, string name) => e.GetProperty(name).GetString()!;

    public static JsonElement? Participant(this JsonElement snapshot, string participantId) =>
        snapshot.GetProperty("participants").EnumerateArray().Cast<JsonElement?>().FirstOrDefault(p => p!.Value.Str("participantId") == participantId);

    public static string? StateOf(this JsonElement snapshot, string participantId) => snapshot.Participant(participantId)?.Str("state");
}
