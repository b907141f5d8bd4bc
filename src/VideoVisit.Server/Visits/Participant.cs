namespace VideoVisit.Server.Visits;

public enum ParticipantRole
{
    Professional,
    Patient,
    Representative,
    Guardian,

    /// <summary>A guest by invitation who interprets; comes on top of the patient's seats (<see cref="VisitOptions.GuestCapacity"/>).</summary>
    Interpreter,

    /// <summary>A guest by invitation (a relative, a second professional without an account here).</summary>
    Guest,
}

/// <summary>waiting → admitted → left / removed / returned to waiting / reconnecting.</summary>
public enum ParticipantState
{
    Waiting,
    Admitted,

    /// <summary>The connection dropped; the seat and <see cref="Participant.ResumeState"/> are kept for the grace period.</summary>
    Reconnecting,
    Left,
    Removed,
}

public enum VisitStatus
{
    NotOpened,
    Open,
    Ended,
}

/// <summary>One person's seat in a visit, acting for themselves or on someone's behalf.</summary>
public sealed class Participant
{
    public Participant(string id, Person actor, Person? onBehalfOf, ParticipantRole role)
    {
        Id = id;
        Actor = actor;
        OnBehalfOf = onBehalfOf;
        Role = role;
    }

    public string Id { get; }

    public Person Actor { get; }

    /// <summary>The person this participant acts for, when not themselves.</summary>
    public Person? OnBehalfOf { get; }

    public ParticipantRole Role { get; }

    public ParticipantState State { get; internal set; }

    /// <summary>While reconnecting: the state to resume.</summary>
    public ParticipantState ResumeState { get; internal set; }

    public string? ConnectionId { get; internal set; }

    /// <summary>The server (Orleans silo) that holds <see cref="ConnectionId"/>; null on one server or in tests.</summary>
    public string? Server { get; internal set; }

    /// <summary>Place in the arrival order (first knock); kept when returned to waiting or reconnecting.</summary>
    public long Arrival { get; internal set; }

    public DateTimeOffset? WaitingSince { get; internal set; }

    public DateTimeOffset? GraceEndsAt { get; internal set; }

    public PrecheckSummary? Precheck { get; internal set; }

    public bool IsProfessional => Role == ParticipantRole.Professional;

    /// <summary>Came by an invitation link: holds a guest seat, not one of the appointment's seats.</summary>
    public bool IsGuest => Role is ParticipantRole.Interpreter or ParticipantRole.Guest;

    /// <summary>Whose place in the visit this seat is: the person acted for, or the actor themselves.</summary>
    public string SubjectId => OnBehalfOf?.Id ?? Actor.Id;

    /// <summary>Holds a seat: waiting, admitted or reconnecting.</summary>
    public bool IsActive => State is ParticipantState.Waiting or ParticipantState.Admitted or ParticipantState.Reconnecting;

    /// <summary>Whether this seat belongs to <paramref name="actorId"/> acting for <paramref name="onBehalfOfId"/>.</summary>
    public bool Is(string actorId, string? onBehalfOfId) => Actor.Id == actorId && OnBehalfOf?.Id == onBehalfOfId;
}

/// <summary>A seat as stored with its visit, so another server (or this one restarted) resumes it.</summary>
public sealed record StoredSeat(
    string Id,
    Person Actor,
    Person? OnBehalfOf,
    ParticipantRole Role,
    ParticipantState State,
    ParticipantState ResumeState,
    string? ConnectionId,
    string? Server,
    long Arrival,
    DateTimeOffset? WaitingSince,
    DateTimeOffset? GraceEndsAt,
    PrecheckSummary? Precheck)
{
    public static StoredSeat Of(Participant p) =>
        new(p.Id, p.Actor, p.OnBehalfOf, p.Role, p.State, p.ResumeState, p.ConnectionId, p.Server, p.Arrival, p.WaitingSince, p.GraceEndsAt, p.Precheck);

    public Participant ToParticipant() => new(Id, Actor, OnBehalfOf, Role)
    {
        State = State,
        ResumeState = ResumeState,
        ConnectionId = ConnectionId,
        Server = Server,
        Arrival = Arrival,
        WaitingSince = WaitingSince,
        GraceEndsAt = GraceEndsAt,
        Precheck = Precheck,
    };
}
