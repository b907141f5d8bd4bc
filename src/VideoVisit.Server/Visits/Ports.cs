namespace VideoVisit.Server.Visits;

/// <summary>How the visits talk outward to connected clients (implemented over the SignalR hub).</summary>
public interface IVisitNotifier
{
    Task VisitStateAsync(string connectionId, VisitStateSnapshot snapshot);

    Task SignalAsync(string connectionId, SignalMessage message);

    Task ChatMessageAsync(string connectionId, ChatMessage message);

    Task RemovedAsync(string connectionId, RemovedMessage message);

    Task VisitEndedAsync(string connectionId, VisitEndedMessage message);
}

/// <summary>Where visits, their audit trail, chat and precheck reports are kept. Writes are queued, reads are direct.</summary>
public interface IVisitStore
{
    /// <summary>The visit already held for this appointment slot, if any.</summary>
    StoredVisit? FindVisit(string appointmentId, DateTimeOffset appointmentStart);

    void SaveVisit(string visitId, Appointment appointment, VisitStatus status, DateTimeOffset at);

    void AppendEvent(VisitEvent visitEvent);

    void SaveChat(StoredChat chat);

    void SavePrecheck(string visitId, string participantId, string personId, PrecheckSummary summary, string reportJson);

    /// <summary>Completes once every write queued so far is saved (before reading a visit back).</summary>
    Task FlushAsync(CancellationToken cancellationToken = default);
}

/// <summary>The source of the current <see cref="Catalog"/>.</summary>
public interface ICatalogSource
{
    Catalog Current { get; }
}

/// <summary>One line of the audit trail: who, on behalf of whom, what, when.</summary>
public sealed record VisitEvent(
    string VisitId,
    DateTimeOffset At,
    string Kind,
    string? ActorId,
    string? OnBehalfOfId,
    string? ParticipantId,
    string? TargetParticipantId = null,
    string? TargetPersonId = null,
    string? Detail = null);

/// <summary>Who may read a chat message: everyone in the visit, or (sent from the waiting room) the professionals and the sender.</summary>
public enum ChatAudience
{
    Everyone,
    ProfessionalsAndSender,
}

public sealed record StoredChat(ChatMessage Message, string SenderPersonId, ChatAudience Audience);

public sealed record StoredVisit(string VisitId, VisitStatus Status, IReadOnlyCollection<string> RemovedPersonIds, IReadOnlyList<StoredChat> Chat);
