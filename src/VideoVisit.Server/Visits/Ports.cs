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

/// <summary>
/// Where visits, their audit trail, chat and precheck reports are kept. Reads are direct. Each write is
/// taken in the order it is made and returns a task that completes once it is stored (or fails, after
/// retries, with the reason): the caller acknowledges nothing before that (see <see cref="Outbox.SavedAsync"/>).
/// </summary>
public interface IVisitStore
{
    /// <summary>The visit already held for this appointment slot, if any.</summary>
    StoredVisit? FindVisit(string appointmentId, DateTimeOffset appointmentStart);

    Task SaveVisit(string visitId, Appointment appointment, VisitStatus status, DateTimeOffset at);

    Task AppendEvent(VisitEvent visitEvent);

    Task SaveChat(StoredChat chat);

    Task SavePrecheck(string visitId, string participantId, string personId, PrecheckSummary summary, string reportJson);

    /// <summary>The seats of a visit after a change (<paramref name="version"/> grows with every change).</summary>
    Task SaveSeats(string visitId, IReadOnlyList<StoredSeat> seats, long version);

    /// <summary>Only the status of the slot's visit (null when none was opened), for lists of appointments.</summary>
    VisitStatus? FindStatus(string appointmentId, DateTimeOffset appointmentStart);

    /// <summary>The visit with this id and its appointment slot, for a server that runs it after another did.</summary>
    (string AppointmentId, DateTimeOffset AppointmentStart, StoredVisit Visit)? FindVisitById(string visitId);

    /// <summary>Completes once every write made so far is settled (before reading a visit back).</summary>
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

/// <summary>Where a chat message was sent from, which decides who may read it (<see cref="ChatRules"/>).</summary>
public enum ChatAudience
{
    /// <summary>Sent in the call: the professionals and <see cref="StoredChat.Readers"/>, those admitted when it was sent.</summary>
    Everyone,

    /// <summary>Sent from the waiting room: the professionals and the sender.</summary>
    ProfessionalsAndSender,

    /// <summary>A professional's answer to one participant: the professionals and <see cref="StoredChat.Readers"/>.</summary>
    ProfessionalsAndReaders,
}

/// <summary>A chat message as kept: who sent it and, fixed at sending, who else may read it (person ids).</summary>
public sealed record StoredChat(ChatMessage Message, string SenderPersonId, ChatAudience Audience, IReadOnlySet<string> Readers);

/// <summary>
/// A visit as kept: <paramref name="RemovedPersonIds"/> are the people whose place was removed, and
/// <paramref name="Chat"/> is empty for a visit that has ended (nobody can read it in a visit any more).
/// </summary>
public sealed record StoredVisit(string VisitId, VisitStatus Status, IReadOnlyCollection<string> RemovedPersonIds, IReadOnlyList<StoredChat> Chat)
{
    /// <summary>The seats as last saved (null for a visit stored before seats were kept, or never joined).</summary>
    public IReadOnlyList<StoredSeat>? Seats { get; init; }

    public long SeatsVersion { get; init; }
}
