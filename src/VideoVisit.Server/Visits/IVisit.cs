namespace VideoVisit.Server.Visits;

/// <summary>
/// One visit where it runs: a <see cref="VisitHost"/> in this process (<see cref="LocalVisits"/>, which
/// the domain tests use), or the Orleans grain that holds it for the whole cluster. The caller has
/// checked who the person is and their rights to the appointment; the visit checks what its own state
/// decides (the caller's seat, the professional's presence, the waiting line) and tells everyone
/// concerned through their connection ids.
/// </summary>
public interface IVisit
{
    /// <summary>Takes or resumes a seat for this connection, held through <paramref name="server"/> (null on one server).</summary>
    Task<BeginVisitResult> Join(Person actor, Person? onBehalfOf, ParticipantRole role, string connectionId, string? server);

    Task Admit(string connectionId, string participantId);

    Task AdmitAll(string connectionId);

    Task ReturnToWaiting(string connectionId, string participantId);

    Task Remove(string connectionId, string participantId);

    Task AllowBack(string connectionId, string participantId);

    Task EndVisit(string connectionId);

    Task Leave(string connectionId);

    /// <summary>Checks that sender and target are both admitted and returns where the signal goes; the caller sends it.</summary>
    Task<SignalRoute> RouteSignal(string connectionId, string toParticipantId);

    /// <summary>Stores the message, then delivers it; completes (the sender's acknowledgement) only once it is stored.</summary>
    Task<ChatMessage> Chat(string connectionId, string clientMessageId, string text, string? toParticipantId);

    Task ReportPrecheck(string connectionId, PrecheckSummary summary, string reportJson);

    /// <summary>The connection closed (or its server is gone): its seat starts the reconnection grace.</summary>
    Task Disconnected(string connectionId);

    /// <summary>Ends the visit for a reason from outside it (the clinic cancelled the appointment).</summary>
    Task EndBecause(string kind, string message);

    /// <summary>Releases the seats <paramref name="personId"/> holds (a guest whose invitation was revoked).</summary>
    Task Release(string personId, string reason, string message);

    /// <summary>The rights of <paramref name="personIds"/> changed: seats they hold for someone they may no longer act for are released.</summary>
    Task RecheckRights(IReadOnlyList<string> personIds);

    /// <summary>Where the visit stands; null when there is no such visit.</summary>
    Task<VisitInfo?> Info();
}

/// <summary>Where <see cref="IVisit.RouteSignal"/> sends a signal: from the sender's seat to the target's connection.</summary>
[Orleans.Immutable]
public sealed record SignalRoute(string FromParticipantId, string ToConnectionId);

/// <summary>A visit's status and who holds a seat in it (waiting, admitted or reconnecting).</summary>
[Orleans.Immutable]
public sealed record VisitInfo(string VisitId, string AppointmentId, VisitStatus Status, IReadOnlyList<string> SeatHolderIds);

/// <summary>Finds the visit of an appointment slot (opening it the first time) and a visit by id.</summary>
public interface IVisitDirectory
{
    /// <summary>The id of the slot's visit; a slot's first call opens (and stores) it.</summary>
    Task<string> OpenAsync(Appointment appointment);

    /// <summary>The id of the slot's visit when it was opened, without opening it.</summary>
    Task<string?> FindAsync(Appointment appointment);

    /// <summary>The status of the slot's visit (null when it was never opened), for lists of appointments.</summary>
    VisitStatus? StatusOf(Appointment appointment);

    /// <summary>The visit with this id; its calls refuse with <see cref="VisitError.NotInVisit"/> when there is none.</summary>
    IVisit Visit(string visitId);

    /// <summary>The server this process is in the cluster (null on one server): seats record it, so a dead server's seats can be found.</summary>
    string? Server { get; }
}
