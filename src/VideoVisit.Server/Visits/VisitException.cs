namespace VideoVisit.Server.Visits;

/// <summary>
/// A request the rules refuse. <see cref="Exception.Message"/> is safe to show the user; the hub turns
/// it into a <c>HubException</c> and the REST API into problem details. It crosses from a visit's grain
/// to the server the caller is on with its <see cref="Error"/>.
/// </summary>
[GenerateSerializer]
[Alias("VideoVisit.VisitException")]
public sealed class VisitException : Exception
{
    public VisitException()
    {
    }

    public VisitException(string message)
        : base(message)
    {
    }

    public VisitException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public VisitException(VisitError error, string message)
        : base(message)
    {
        Error = error;
    }

    public VisitException(VisitError error, string message, Exception innerException)
        : base(message, innerException)
    {
        Error = error;
    }

    [Id(0)]
    public VisitError Error { get; private set; }
}

/// <summary>Why a request was refused, for logs and tests (the message is for people).</summary>
public enum VisitError
{
    Invalid,
    NotFound,
    Forbidden,
    OutsideWindow,
    NotInVisit,
    WrongState,
    Full,
    Ended,
    RemovedFromVisit,
    RateLimited,
    TooLarge,

    /// <summary>A per-visit bound is reached (e.g. the chat's message cap).</summary>
    LimitReached,

    /// <summary>A store or dependency failed for a moment: the same request may succeed when tried again.</summary>
    Unavailable,
}
