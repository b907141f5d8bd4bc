using System.Text.Json;

namespace VideoVisit.Server.Visits;

/// <summary>Returned by <c>BeginVisit</c>.</summary>
[Orleans.Immutable]
public sealed record BeginVisitResult(string VisitId, string ParticipantId, string State);

/// <summary>The <c>Signal</c> event: offer, answer, ICE candidate or restart, passed through untouched.</summary>
public sealed record SignalMessage(string VisitId, string FromParticipantId, string Kind, JsonElement Payload);

/// <summary>The <c>ChatMessage</c> event.</summary>
[Orleans.Immutable]
public sealed record ChatMessage(string VisitId, string MessageId, string ClientMessageId, string FromParticipantId, string FromDisplayName, string Text, DateTimeOffset SentAt);

/// <summary>The <c>Removed</c> event: <paramref name="Reason"/> is <c>removed</c> (by the professional) or <c>replaced</c> (the same person joined from another tab or device).</summary>
public sealed record RemovedMessage(string VisitId, string ParticipantId, string Reason, string Message);

/// <summary>The <c>VisitEnded</c> event; <paramref name="Reason"/> is null when the professional ended it, <c>appointment-cancelled</c> when the clinic cancelled the appointment.</summary>
public sealed record VisitEndedMessage(string VisitId, string Message, string? Reason = null);

/// <summary>
/// The <c>VisitState</c> event, tailored to its recipient: professionals and admitted participants see
/// everyone; a participant still waiting sees the professionals and themselves. The precheck result is
/// shown to professionals and to its owner only. <see cref="Version"/> grows with every change, so a
/// client can ignore an older snapshot that arrives late.
/// </summary>
public sealed record VisitStateSnapshot(
    string VisitId,
    string AppointmentId,
    string Kind,
    string State,
    long Version,
    bool ProfessionalPresent,
    string? YourParticipantId,
    int? PlaceInLine,
    int WaitingCount,
    int Capacity,
    IReadOnlyList<ParticipantView> Participants);

public sealed record ParticipantView(
    string ParticipantId,
    string DisplayName,
    string Role,
    PersonRef? OnBehalfOf,
    string State,
    DateTimeOffset? WaitingSince,
    int? WaitSeconds,
    PrecheckSummary? Precheck,
    int? PlaceInLine);

public sealed record PersonRef(string Id, string DisplayName);

/// <summary>The device-check result as the professional sees it: the machine state and one short line.</summary>
[Orleans.Immutable]
public sealed record PrecheckSummary(string State, string Summary, DateTimeOffset ReportedAt);
