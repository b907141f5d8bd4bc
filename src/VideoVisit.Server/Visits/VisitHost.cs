namespace VideoVisit.Server.Visits;

/// <summary>
/// Runs one <see cref="VisitRoom"/>: applies a change, waits until what it wrote is stored, then sends
/// what it produced. The same code runs inside the visit's Orleans grain and in <see cref="LocalVisits"/>.
/// <paramref name="changed"/> is called at once after each change is applied (in the same turn), and
/// <paramref name="beforeSend"/> after it is stored and before anyone is told (the grain invalidates the
/// signal routes other servers keep there).
/// </summary>
public sealed class VisitHost(VisitRoom room, ICatalogSource catalog, IVisitNotifier notifier, TimeProvider time, Action? changed = null, Func<Task>? beforeSend = null) : IVisit
{
    public VisitRoom Room => room;

    private DateTimeOffset Now => time.GetUtcNow();

    public async Task<BeginVisitResult> Join(Person actor, Person? onBehalfOf, ParticipantRole role, string connectionId, string? server)
    {
        var outbox = new Outbox();
        var result = room.Join(actor, onBehalfOf, role, connectionId, Now, outbox, server);
        changed?.Invoke();
        await DeliverAsync(outbox);
        return result;
    }

    public Task Admit(string connectionId, string participantId) => Change((r, o) => r.Admit(connectionId, participantId, Now, o));

    public Task AdmitAll(string connectionId) => Change((r, o) => r.AdmitAll(connectionId, Now, o));

    public Task ReturnToWaiting(string connectionId, string participantId) => Change((r, o) => r.ReturnToWaiting(connectionId, participantId, Now, o));

    public Task Remove(string connectionId, string participantId) => Change((r, o) => r.Remove(connectionId, participantId, Now, o));

    public Task AllowBack(string connectionId, string participantId) => Change((r, o) => r.AllowBack(connectionId, participantId, Now, o));

    public Task EndVisit(string connectionId) => Change((r, o) => r.End(connectionId, Now, o));

    public Task Leave(string connectionId) => Change((r, o) => r.Leave(connectionId, Now, o));

    public Task<SignalRoute> RouteSignal(string connectionId, string toParticipantId) => Task.FromResult(Route(connectionId, toParticipantId));

    /// <summary>Where a signal goes (both admitted), read under the room's lock; throws the sender's error otherwise.</summary>
    public SignalRoute Route(string connectionId, string toParticipantId)
    {
        var target = room.Signal(connectionId, toParticipantId, out var from);
        return new SignalRoute(from, target);
    }

    public async Task<ChatMessage> Chat(string connectionId, string clientMessageId, string text, string? toParticipantId)
    {
        var outbox = new Outbox();
        var message = room.Chat(connectionId, clientMessageId, text, Now, outbox, toParticipantId);
        try
        {
            // Stored before anyone sees it and before the sender's acknowledgement (the hub's answer).
            await outbox.SavedAsync();
        }
        catch (Exception ex) when (ex is not VisitException)
        {
            room.Unsend(message);
            throw new VisitException(VisitError.Unavailable, "Your message could not be saved, so it was not sent. Please send it again.", ex);
        }

        await outbox.SendAsync(notifier);
        return message;
    }

    public Task ReportPrecheck(string connectionId, PrecheckSummary summary, string reportJson) =>
        Change((r, o) => r.ReportPrecheck(connectionId, summary, reportJson, Now, o));

    public Task Disconnected(string connectionId) => Change((r, o) => r.Disconnected(connectionId, Now, o), hasCaller: false);

    public Task EndBecause(string kind, string message) => Change((r, o) => r.EndBecause(kind, message, Now, o), hasCaller: false);

    public Task Release(string personId, string reason, string message) =>
        Change((r, o) => r.RemoveWhere(p => p.Actor.Id == personId, reason, message, Now, o), hasCaller: false);

    public Task RecheckRights(IReadOnlyList<string> personIds)
    {
        var now = Now;
        var current = catalog.Current;
        return Change(
            (r, o) => r.RemoveWhere(
                p => p.OnBehalfOf is { } subject && personIds.Contains(p.Actor.Id)
                    && (current.FindPerson(p.Actor.Id) is not { } actor || current.FindPerson(subject.Id) is not { } person
                        || !Rights.May(current, actor, person, Capability.Act, now)),
                "right-ended",
                "You may no longer act on this person's behalf, so your place in this visit was released.",
                now,
                o),
            hasCaller: false);
    }

    public Task<VisitInfo?> Info() => Task.FromResult<VisitInfo?>(new VisitInfo(
        room.VisitId,
        room.Appointment.Id,
        room.Status,
        [.. room.Participants.Where(p => p.IsActive).Select(p => p.Actor.Id)]));

    /// <summary>Releases the seats whose reconnection grace ran out; returns how many.</summary>
    public async Task<int> ExpireGraceAsync()
    {
        if (!room.HasSeatsInGrace)
        {
            return 0;
        }

        var outbox = new Outbox();
        var expired = room.ExpireGrace(Now, outbox);
        changed?.Invoke();
        await DeliverAsync(outbox, hasCaller: false);
        return expired;
    }

    /// <summary>
    /// Seats held through servers that are gone (killed, not shut down, so their connections never said
    /// goodbye) start their reconnection grace as if the connection had dropped.
    /// </summary>
    public async Task<int> ServersGoneAsync(Func<string, bool> isGone)
    {
        var lost = room.ConnectionsThrough(isGone);
        foreach (var connectionId in lost)
        {
            await Disconnected(connectionId);
        }

        return lost.Count;
    }

    private Task Change(Action<VisitRoom, Outbox> change, bool hasCaller = true)
    {
        var outbox = new Outbox();
        try
        {
            change(room, outbox);
        }
        finally
        {
            // Counted even when refused part way (nothing is told until a change is delivered, so it costs nothing).
            changed?.Invoke();
        }

        return DeliverAsync(outbox, hasCaller);
    }

    /// <summary>
    /// Waits until the change's audit trail and state are stored, then sends what it produced. The room
    /// has changed either way, so its participants are told; a write that failed (after the store's
    /// retries) is the caller's error, never dropped silently. Without a caller (a dropped connection, the
    /// grace sweep, a change from the clinic's system) the store has logged it.
    /// </summary>
    private async Task DeliverAsync(Outbox outbox, bool hasCaller = true)
    {
        Exception? failed = null;
        try
        {
            await outbox.SavedAsync();
        }
#pragma warning disable CA1031 // Any store failure: the participants are still told what the room did; the caller gets it below.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            failed = ex;
        }

        if (beforeSend is not null)
        {
            await beforeSend();
        }

        await outbox.SendAsync(notifier);
        if (failed is not null && hasCaller)
        {
            throw new VisitException(VisitError.Unavailable, "That was done, but the visit's record could not be saved just now. Please try again in a moment.", failed);
        }
    }
}
