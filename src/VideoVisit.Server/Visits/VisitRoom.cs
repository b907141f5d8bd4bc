using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace VideoVisit.Server.Visits;

/// <summary>
/// One visit's state machine: the waiting room, the admitted participants, chat and the rules for
/// moving between states. Every public method takes the room's lock, changes state, writes the audit
/// trail and returns what must be sent to whom (an <see cref="Outbox"/>, which also holds the change's
/// store writes), which the caller sends after the lock is released and the writes are stored.
/// </summary>
public sealed class VisitRoom
{
    private const int ChatReplayLimit = 200;

    private readonly Lock _gate = new();
    private readonly List<Participant> _participants = [];
    /// <summary>The people whose place was taken by removal: nobody may knock again for them until let back in.</summary>
    private readonly HashSet<string> _removedSubjects;
    private readonly List<StoredChat> _chat;
    private readonly Dictionary<string, StoredChat> _chatByClientId;
    /// <summary>Chat messages (by message id) whose write is still under way.</summary>
    private readonly Dictionary<string, Task> _chatSaves = new(StringComparer.Ordinal);
    private readonly IVisitStore _store;
    private readonly VisitOptions _options;
    private long _nextArrival;
    private long _version;

    public VisitRoom(string visitId, Appointment appointment, IVisitStore store, VisitOptions options, StoredVisit? stored = null)
    {
        VisitId = visitId;
        Appointment = appointment;
        _store = store;
        _options = options;
        Status = stored?.Status ?? VisitStatus.NotOpened;
        _removedSubjects = new HashSet<string>(stored?.RemovedPersonIds ?? [], StringComparer.Ordinal);
        _chat = [.. stored?.Chat ?? []];
        _chatByClientId = _chat.ToDictionary(c => ChatKey(c.SenderPersonId, c.Message.ClientMessageId), StringComparer.Ordinal);
        if (stored?.Seats is { } seats)
        {
            // The seats as the last change left them (another server ran this visit, or this one restarted).
            foreach (var seat in seats)
            {
                _participants.Add(seat.ToParticipant());
            }

            _nextArrival = _participants.Count == 0 ? 0 : _participants.Max(p => p.Arrival);
            _version = stored.SeatsVersion;
        }
    }

    public string VisitId { get; }

    /// <summary>The store write of a visit opened for the first time (completed for one read from the store).</summary>
    public Task Created { get; init; } = Task.CompletedTask;

    public Appointment Appointment { get; }

    public VisitStatus Status { get; private set; }

    public int Capacity => Appointment.Capacity;

    /// <summary>Whether a professional is admitted and connected.</summary>
    public bool ProfessionalPresent
    {
        get
        {
            lock (_gate)
            {
                return IsProfessionalPresent();
            }
        }
    }

    /// <summary>A copy of the participants, for tests and diagnostics.</summary>
    public IReadOnlyList<Participant> Participants
    {
        get
        {
            lock (_gate)
            {
                return [.. _participants];
            }
        }
    }

    /// <summary>
    /// Begin visit: a professional opens the visit and is admitted; anyone else knocks and waits. The
    /// same person acting for the same subject resumes their seat (reconnect) or moves it to this
    /// connection (second tab or device; the older connection is told why).
    /// </summary>
    public BeginVisitResult Join(Person actor, Person? onBehalfOf, ParticipantRole role, string connectionId, DateTimeOffset now, Outbox outbox, string? server = null)
    {
        lock (_gate)
        {
            if (Status == VisitStatus.Ended)
            {
                throw new VisitException(VisitError.Ended, "This visit has ended.");
            }

            var onBehalfOfId = onBehalfOf?.Id;
            if (_removedSubjects.Contains(onBehalfOfId ?? actor.Id))
            {
                throw new VisitException(VisitError.RemovedFromVisit, onBehalfOfId is null
                    ? "You were removed from this visit and cannot join it again."
                    : "This person's place in the visit was removed by the professional, so nobody can join it on their behalf.");
            }

            var other = _participants.Find(p => p.ConnectionId == connectionId && !p.Is(actor.Id, onBehalfOfId));
            if (other is not null)
            {
                throw new VisitException(VisitError.WrongState, "This window is already in the visit for someone else. Open another window.");
            }

            var seat = _participants.Find(p => p.Is(actor.Id, onBehalfOfId));
            if (seat is { IsActive: true })
            {
                Resume(seat, connectionId, now, outbox);
            }
            else
            {
                seat = Knock(seat, actor, onBehalfOf, role, connectionId, now, outbox);
            }

            seat.Server = server;

            Publish(outbox, now);
            ReplayChat(seat, outbox);
            return new BeginVisitResult(VisitId, seat.Id, Name(seat.State));
        }
    }

    private void Resume(Participant seat, string connectionId, DateTimeOffset now, Outbox outbox)
    {
        if (seat.ConnectionId is null)
        {
            // Back inside the grace; a seat returned to waiting meanwhile is already waiting.
            if (seat.State == ParticipantState.Reconnecting)
            {
                seat.State = seat.ResumeState;
            }

            seat.GraceEndsAt = null;
            seat.ConnectionId = connectionId;
            Audit(outbox, now, "resumed", seat, detail: Name(seat.State));
        }
        else if (seat.ConnectionId != connectionId)
        {
            if (seat.ConnectionId is not null)
            {
                outbox.Removed(seat.ConnectionId, new RemovedMessage(VisitId, seat.Id, "replaced",
                    "You joined this visit from another window or device, so it continues there."));
            }

            seat.ConnectionId = connectionId;
            Audit(outbox, now, "moved-to-another-device", seat);
        }
    }

    private Participant Knock(Participant? seat, Person actor, Person? onBehalfOf, ParticipantRole role, string connectionId, DateTimeOffset now, Outbox outbox)
    {
        CheckWindow(now);
        if (role is ParticipantRole.Interpreter or ParticipantRole.Guest)
        {
            // Guests come on top of the appointment's seats: an interpreter never takes the patient's or a companion's place.
            if (_participants.Count(p => p.IsGuest && p.IsActive) >= _options.GuestCapacity)
            {
                throw new VisitException(VisitError.Full, "This visit has no guest places left.");
            }
        }
        else if (role != ParticipantRole.Professional && _participants.Count(p => !p.IsProfessional && !p.IsGuest && p.IsActive) >= Capacity)
        {
            throw new VisitException(VisitError.Full, "This visit is full.");
        }

        seat ??= Add(new Participant(NewId("p-"), actor, onBehalfOf, role));
        seat.ConnectionId = connectionId;
        seat.GraceEndsAt = null;
        if (role == ParticipantRole.Professional)
        {
            seat.State = ParticipantState.Admitted;
            seat.WaitingSince = null;
            if (Status == VisitStatus.NotOpened)
            {
                Status = VisitStatus.Open;
                outbox.Saving(_store.SaveVisit(VisitId, Appointment, Status, now));
                Audit(outbox, now, "opened", seat);
            }

            Audit(outbox, now, "joined", seat);
        }
        else
        {
            seat.State = ParticipantState.Waiting;
            seat.WaitingSince = now;
            seat.Arrival = ++_nextArrival;
            Audit(outbox, now, "knocked", seat);
        }

        return seat;
    }

    private Participant Add(Participant participant)
    {
        _participants.Add(participant);
        return participant;
    }

    /// <summary>The begin window: from <see cref="VisitOptions.BeginOpensBefore"/> the start until <see cref="VisitOptions.BeginClosesAfterEnd"/> the end.</summary>
    public static (DateTimeOffset OpensAt, DateTimeOffset ClosesAt) WindowOf(Appointment appointment, VisitOptions options) =>
        (appointment.Start - options.BeginOpensBefore, appointment.End + options.BeginClosesAfterEnd);

    private void CheckWindow(DateTimeOffset now)
    {
        var (opensAt, closesAt) = WindowOf(Appointment, _options);
        if (now < opensAt)
        {
            throw new VisitException(VisitError.OutsideWindow, string.Create(CultureInfo.InvariantCulture,
                $"This visit can be begun from {opensAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC, {_options.BeginOpensMinutesBefore} minutes before it starts."));
        }

        if (now > closesAt)
        {
            throw new VisitException(VisitError.OutsideWindow, "This appointment is over and its visit can no longer be begun.");
        }
    }

    public void Admit(string connectionId, string participantId, DateTimeOffset now, Outbox outbox)
    {
        lock (_gate)
        {
            var professional = ProfessionalFor(connectionId);
            var target = Target(participantId);
            if (target.State != ParticipantState.Waiting)
            {
                throw new VisitException(VisitError.WrongState, "Only someone who is waiting can be admitted.");
            }

            AdmitOne(target, professional, now, outbox);
            Publish(outbox, now);
        }
    }

    public int AdmitAll(string connectionId, DateTimeOffset now, Outbox outbox)
    {
        lock (_gate)
        {
            var professional = ProfessionalFor(connectionId);
            var waiting = WaitingOrder.Line(_participants);
            foreach (var target in waiting)
            {
                AdmitOne(target, professional, now, outbox);
            }

            Publish(outbox, now);
            return waiting.Count;
        }
    }

    private void AdmitOne(Participant target, Participant professional, DateTimeOffset now, Outbox outbox)
    {
        target.State = ParticipantState.Admitted;
        target.WaitingSince = null;
        Audit(outbox, now, "admitted", professional, target);
    }

    public void ReturnToWaiting(string connectionId, string participantId, DateTimeOffset now, Outbox outbox)
    {
        lock (_gate)
        {
            var professional = ProfessionalFor(connectionId);
            var target = Target(participantId);
            if (target.State != ParticipantState.Admitted && target is not { State: ParticipantState.Reconnecting, ResumeState: ParticipantState.Admitted })
            {
                throw new VisitException(VisitError.WrongState, "Only someone who is admitted can be returned to the waiting room.");
            }

            // Returned means waiting for everyone at once, connected or not: peers drop their media now,
            // and a seat still in its grace resumes as waiting (or is released when the grace runs out).
            target.State = ParticipantState.Waiting;
            target.ResumeState = ParticipantState.Waiting;
            // Back in the line at their original arrival place (WaitingOrder); the wait time counts anew.
            target.WaitingSince = now;
            Audit(outbox, now, "returned-to-waiting", professional, target);
            Publish(outbox, now);
        }
    }

    public void Remove(string connectionId, string participantId, DateTimeOffset now, Outbox outbox)
    {
        lock (_gate)
        {
            var professional = ProfessionalFor(connectionId);
            var target = Target(participantId);
            if (!target.IsActive)
            {
                throw new VisitException(VisitError.WrongState, "That participant is no longer in the visit.");
            }

            TakeSeat(target, "removed", "You were removed from this visit.", outbox);
            _removedSubjects.Add(target.SubjectId);
            Audit(outbox, now, "removed", professional, target, detail: target.SubjectId);
            Publish(outbox, now);
        }
    }

    /// <summary>
    /// Undoes a removal: the person whose place was removed (and whoever acts for them) may knock again
    /// and waits to be admitted like anyone else.
    /// </summary>
    public void AllowBack(string connectionId, string participantId, DateTimeOffset now, Outbox outbox)
    {
        lock (_gate)
        {
            var professional = ProfessionalFor(connectionId);
            var target = Target(participantId);
            if (target.State != ParticipantState.Removed)
            {
                throw new VisitException(VisitError.WrongState, "Only someone who was removed can be let back in.");
            }

            target.State = ParticipantState.Left;
            _removedSubjects.Remove(target.SubjectId);
            Audit(outbox, now, "allowed-back", professional, target, detail: target.SubjectId);
            Publish(outbox, now);
        }
    }

    public void End(string connectionId, DateTimeOffset now, Outbox outbox)
    {
        lock (_gate)
        {
            var professional = ProfessionalFor(connectionId);
            var connected = _participants.Where(p => p.ConnectionId is not null).ToList();
            Status = VisitStatus.Ended;
            outbox.Saving(_store.SaveVisit(VisitId, Appointment, Status, now));
            Audit(outbox, now, "ended", professional);
            CloseOut(connected, new VisitEndedMessage(VisitId, "The visit has ended."), now, outbox);
        }
    }

    /// <summary>
    /// Ends the visit for a reason outside it (the clinic cancelled the appointment): everyone in it
    /// and waiting is told <paramref name="message"/>.
    /// </summary>
    public void EndBecause(string kind, string message, DateTimeOffset now, Outbox outbox)
    {
        lock (_gate)
        {
            if (Status == VisitStatus.Ended)
            {
                return;
            }

            var connected = _participants.Where(p => p.ConnectionId is not null).ToList();
            Status = VisitStatus.Ended;
            outbox.Saving(_store.SaveVisit(VisitId, Appointment, Status, now));
            outbox.Saving(_store.AppendEvent(new VisitEvent(VisitId, now, "ended", null, null, null, Detail: kind)));
            CloseOut(connected, new VisitEndedMessage(VisitId, message, kind), now, outbox);
        }
    }

    /// <summary>Everyone still holding a seat leaves; those connected get the last snapshot and <paramref name="ended"/>.</summary>
    private void CloseOut(List<Participant> connected, VisitEndedMessage ended, DateTimeOffset now, Outbox outbox)
    {
        foreach (var p in _participants.Where(p => p.IsActive))
        {
            p.State = ParticipantState.Left;
            p.WaitingSince = null;
            p.GraceEndsAt = null;
        }

        _version++;
        foreach (var p in connected)
        {
            outbox.VisitState(p.ConnectionId!, SnapshotFor(p, now));
            outbox.VisitEnded(p.ConnectionId!, ended);
            p.ConnectionId = null;
        }

        SaveSeats(outbox);
    }

    /// <summary>
    /// The seats are written with the change that moved them (write-through), so whichever server runs
    /// this visit next resumes them as they were: admitted stays admitted, the arrival order holds.
    /// </summary>
    private void SaveSeats(Outbox outbox) =>
        outbox.Saving(_store.SaveSeats(VisitId, [.. _participants.Select(StoredSeat.Of)], _version));

    /// <summary>The connections of seats held through <paramref name="server"/>, for when that server is gone.</summary>
    public IReadOnlyList<string> ConnectionsThrough(Func<string, bool> serverIsGone)
    {
        lock (_gate)
        {
            return [.. _participants.Where(p => p is { ConnectionId: not null, Server: { } s } && serverIsGone(s)).Select(p => p.ConnectionId!)];
        }
    }

    /// <summary>Releases the seats of participants matching <paramref name="lostRight"/> (their right to be here ended), telling each why.</summary>
    public int RemoveWhere(Func<Participant, bool> lostRight, string reason, string message, DateTimeOffset now, Outbox outbox)
    {
        lock (_gate)
        {
            var released = _participants.Where(p => p.IsActive && lostRight(p)).ToList();
            foreach (var target in released)
            {
                TakeSeat(target, reason, message, outbox);
                outbox.Saving(_store.AppendEvent(new VisitEvent(VisitId, now, "released", null, target.OnBehalfOf?.Id, null, target.Id, target.Actor.Id, reason)));
            }

            if (released.Count > 0)
            {
                Publish(outbox, now);
            }

            return released.Count;
        }
    }

    /// <summary>The seat is taken away: its connection is told why, and it holds nothing any more.</summary>
    private void TakeSeat(Participant target, string reason, string message, Outbox outbox)
    {
        if (target.ConnectionId is not null)
        {
            outbox.Removed(target.ConnectionId, new RemovedMessage(VisitId, target.Id, reason, message));
        }

        target.State = ParticipantState.Removed;
        target.ConnectionId = null;
        target.GraceEndsAt = null;
        target.WaitingSince = null;
    }

    /// <summary>The caller leaves; their seat is given up (joining again means knocking again).</summary>
    public void Leave(string connectionId, DateTimeOffset now, Outbox outbox)
    {
        lock (_gate)
        {
            var me = Caller(connectionId);
            me.State = ParticipantState.Left;
            me.ConnectionId = null;
            me.WaitingSince = null;
            Audit(outbox, now, "left", me);
            Publish(outbox, now);
        }
    }

    /// <summary>The connection dropped: its seat is kept for the grace period.</summary>
    public bool Disconnected(string connectionId, DateTimeOffset now, Outbox outbox)
    {
        lock (_gate)
        {
            var seat = ByConnection(connectionId);
            if (seat is null)
            {
                return false;
            }

            seat.ConnectionId = null;
            if (seat.State is ParticipantState.Waiting or ParticipantState.Admitted)
            {
                // Someone waiting is shown as reconnecting too, and keeps their place in the line.
                seat.ResumeState = seat.State;
                seat.State = ParticipantState.Reconnecting;
                seat.GraceEndsAt = now + _options.ReconnectGrace;
                Audit(outbox, now, "connection-lost", seat);
                Publish(outbox, now);
            }

            return true;
        }
    }

    /// <summary>Releases the seats whose reconnection grace has run out; returns how many.</summary>
    public int ExpireGrace(DateTimeOffset now, Outbox outbox)
    {
        lock (_gate)
        {
            var expired = 0;
            foreach (var seat in _participants)
            {
                if (seat is { IsActive: true, ConnectionId: null } && seat.GraceEndsAt <= now)
                {
                    seat.State = ParticipantState.Left;
                    seat.GraceEndsAt = null;
                    seat.WaitingSince = null;
                    Audit(outbox, now, "grace-expired", seat);
                    expired++;
                }
            }

            if (expired > 0)
            {
                Publish(outbox, now);
            }

            return expired;
        }
    }

    /// <summary>
    /// Nobody holds a seat and nobody can take one any more (the visit ended, or its begin window
    /// closed): the room can leave memory; its record stays in the store.
    /// </summary>
    public bool IsFinished(DateTimeOffset now)
    {
        lock (_gate)
        {
            return !_participants.Exists(p => p.IsActive)
                && (Status == VisitStatus.Ended || now > WindowOf(Appointment, _options).ClosesAt);
        }
    }

    /// <summary>Whether anyone holds a seat (waiting, admitted or reconnecting).</summary>
    public bool HasActiveSeats
    {
        get
        {
            lock (_gate)
            {
                return _participants.Exists(p => p.IsActive);
            }
        }
    }

    /// <summary>Whether a seat is waiting out its reconnection grace.</summary>
    public bool HasSeatsInGrace
    {
        get
        {
            lock (_gate)
            {
                return _participants.Exists(p => p.GraceEndsAt is not null);
            }
        }
    }

    /// <summary>
    /// Relays a signal. Both the sender and the target must be admitted to this visit; otherwise the
    /// sender gets an error and nothing is delivered. Returns the target's connection.
    /// </summary>
    public string Signal(string connectionId, string toParticipantId, out string fromParticipantId)
    {
        lock (_gate)
        {
            var sender = Caller(connectionId);
            if (sender.State != ParticipantState.Admitted)
            {
                throw new VisitException(VisitError.WrongState, "You can send call signals only after you have been admitted to the visit.");
            }

            var target = ById(toParticipantId);
            if (target is null || target == sender || target.State != ParticipantState.Admitted || target.ConnectionId is null)
            {
                throw new VisitException(VisitError.WrongState, "That participant is not in the call right now.");
            }

            fromParticipantId = sender.Id;
            return target.ConnectionId;
        }
    }

    /// <summary>
    /// Chat in the waiting room and the call. A message resent with the same client id is stored and
    /// delivered once; the resend gets the original back. Who may read a message is fixed when it is
    /// sent (<see cref="ChatRules"/>): from the call, those admitted at that moment and the
    /// professionals; from the waiting room, the professionals and the sender. A professional answers
    /// someone waiting with <paramref name="toParticipantId"/>: the professionals and that person read it.
    /// </summary>
    public ChatMessage Chat(string connectionId, string clientMessageId, string text, DateTimeOffset now, Outbox outbox, string? toParticipantId = null)
    {
        lock (_gate)
        {
            var sender = Caller(connectionId);
            if (sender.State is not (ParticipantState.Waiting or ParticipantState.Admitted))
            {
                throw new VisitException(VisitError.WrongState, "You are not in this visit.");
            }

            if (_chatByClientId.TryGetValue(ChatKey(sender.Actor.Id, clientMessageId), out var existing))
            {
                // A resend is acknowledged no sooner than the original: once it is stored.
                if (_chatSaves.TryGetValue(existing.Message.MessageId, out var saving))
                {
                    outbox.Saving(saving);
                }

                return existing.Message;
            }

            if (_chat.Count >= _options.MaxChatMessagesPerVisit)
            {
                throw new VisitException(VisitError.LimitReached, $"This visit's chat is full ({_options.MaxChatMessagesPerVisit} messages).");
            }

            var stored = toParticipantId is null
                ? ChatRules.Compose(sender, _participants, VisitId, clientMessageId, text, now)
                : ChatRules.ComposeTo(sender, ProfessionalAnswering(sender, toParticipantId), VisitId, clientMessageId, text, now);
            _chat.Add(stored);
            _chatByClientId.Add(ChatKey(sender.Actor.Id, clientMessageId), stored);
            var save = _store.SaveChat(stored);
            if (!save.IsCompletedSuccessfully)
            {
                // Kept for a resend that comes while this write is under way (a finished one costs nothing to keep).
                _chatSaves[stored.Message.MessageId] = save;
            }

            outbox.Saving(save);
            foreach (var p in _participants)
            {
                if (p.ConnectionId is not null && p.State is (ParticipantState.Waiting or ParticipantState.Admitted) && ChatRules.MayRead(p, stored))
                {
                    outbox.Chat(p.ConnectionId, stored.Message);
                }
            }

            return stored.Message;
        }
    }

    /// <summary>
    /// The store could not keep <paramref name="message"/>: it was not delivered or acknowledged, so the
    /// room forgets it and a resend with the same client id is a new message.
    /// </summary>
    public void Unsend(ChatMessage message)
    {
        lock (_gate)
        {
            var index = _chat.FindIndex(c => c.Message.MessageId == message.MessageId);
            if (index >= 0)
            {
                _chatByClientId.Remove(ChatKey(_chat[index].SenderPersonId, message.ClientMessageId));
                _chat.RemoveAt(index);
            }

            _chatSaves.Remove(message.MessageId);
        }
    }

    private Participant ProfessionalAnswering(Participant sender, string toParticipantId)
    {
        if (!sender.IsProfessional)
        {
            throw new VisitException(VisitError.Forbidden, "Only the visit's professional can write to one participant.");
        }

        var target = Target(toParticipantId);
        return target.IsActive ? target : throw new VisitException(VisitError.WrongState, "That participant is no longer in the visit.");
    }

    public void ReportPrecheck(string connectionId, PrecheckSummary summary, string reportJson, DateTimeOffset now, Outbox outbox)
    {
        lock (_gate)
        {
            var me = Caller(connectionId);
            me.Precheck = summary;
            outbox.Saving(_store.SavePrecheck(VisitId, me.Id, me.Actor.Id, summary, reportJson));
            Audit(outbox, now, "precheck-reported", me, detail: summary.State);
            Publish(outbox, now);
        }
    }

    /// <summary>The snapshot <paramref name="participantId"/> would receive.</summary>
    public VisitStateSnapshot SnapshotFor(string participantId, DateTimeOffset now)
    {
        lock (_gate)
        {
            return SnapshotFor(Target(participantId), now);
        }
    }

    private void ReplayChat(Participant seat, Outbox outbox)
    {
        var visible = _chat.Where(c => ChatRules.MayRead(seat, c)).TakeLast(ChatReplayLimit);
        foreach (var chat in visible)
        {
            outbox.Chat(seat.ConnectionId!, chat.Message);
        }
    }

    private Participant Caller(string connectionId) =>
        ByConnection(connectionId)
        ?? throw new VisitException(VisitError.NotInVisit, "You are not in this visit.");

    private Participant ProfessionalFor(string connectionId)
    {
        var me = ByConnection(connectionId);
        if (me is not { IsProfessional: true })
        {
            throw new VisitException(VisitError.Forbidden, "Only the visit's professional can do that.");
        }

        if (Status == VisitStatus.Ended)
        {
            throw new VisitException(VisitError.Ended, "This visit has ended.");
        }

        if (me.State != ParticipantState.Admitted)
        {
            throw new VisitException(VisitError.WrongState, "You are not in this visit.");
        }

        return me;
    }

    private Participant Target(string participantId)
    {
        var target = ById(participantId)
            ?? throw new VisitException(VisitError.NotFound, "There is no such participant in this visit.");
        if (target.IsProfessional)
        {
            throw new VisitException(VisitError.Forbidden, "A professional cannot be admitted, returned or removed.");
        }

        return target;
    }

    // Loops rather than lambdas: these run for every signal, and a capturing lambda allocates.
    private Participant? ByConnection(string connectionId)
    {
        foreach (var p in _participants)
        {
            if (p.ConnectionId == connectionId)
            {
                return p;
            }
        }

        return null;
    }

    private Participant? ById(string participantId)
    {
        foreach (var p in _participants)
        {
            if (p.Id == participantId)
            {
                return p;
            }
        }

        return null;
    }

    private bool IsProfessionalPresent() =>
        _participants.Exists(p => p.IsProfessional && p.State == ParticipantState.Admitted);

    private void Publish(Outbox outbox, DateTimeOffset now)
    {
        _version++;
        SaveSeats(outbox);
        foreach (var p in _participants)
        {
            if (p.ConnectionId is not null)
            {
                outbox.VisitState(p.ConnectionId, SnapshotFor(p, now));
            }
        }
    }

    private VisitStateSnapshot SnapshotFor(Participant recipient, DateTimeOffset now)
    {
        var seesEveryone = recipient.IsProfessional || recipient.State == ParticipantState.Admitted;
        var waiting = WaitingOrder.Line(_participants);
        int? place = WaitingOrder.PlaceOf(waiting, recipient);
        var views = new List<ParticipantView>(_participants.Count);
        foreach (var p in WaitingOrder.ForDisplay(_participants, waiting))
        {
            if (!seesEveryone && p != recipient && !p.IsProfessional)
            {
                continue;
            }

            var precheck = recipient.IsProfessional || p == recipient ? p.Precheck : null;
            var waitingSince = p.State == ParticipantState.Waiting ? p.WaitingSince : null;
            views.Add(new ParticipantView(
                p.Id,
                p.Actor.DisplayName,
                Name(p.Role),
                p.OnBehalfOf is { } s ? new PersonRef(s.Id, s.DisplayName) : null,
                Name(p.State),
                waitingSince,
                waitingSince is { } since ? (int)Math.Max(0, (now - since).TotalSeconds) : null,
                precheck,
                WaitingOrder.PlaceOf(waiting, p)));
        }

        return new VisitStateSnapshot(
            VisitId,
            Appointment.Id,
            Appointment.Kind == AppointmentKind.Group ? "group" : "video",
            Name(Status),
            _version,
            IsProfessionalPresent(),
            recipient.Id,
            place,
            waiting.Count,
            Capacity,
            views);
    }

    private void Audit(Outbox outbox, DateTimeOffset now, string kind, Participant actor, Participant? target = null, string? detail = null) =>
        outbox.Saving(_store.AppendEvent(new VisitEvent(VisitId, now, kind, actor.Actor.Id, actor.OnBehalfOf?.Id, actor.Id, target?.Id, target?.Actor.Id, detail)));

    private static string ChatKey(string senderPersonId, string clientMessageId) => senderPersonId + "\n" + clientMessageId;

    internal static string NewId(string prefix) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    public static string Name(ParticipantState state) => state switch
    {
        ParticipantState.Waiting => "waiting",
        ParticipantState.Admitted => "admitted",
        ParticipantState.Reconnecting => "reconnecting",
        ParticipantState.Left => "left",
        _ => "removed",
    };

    public static string Name(ParticipantRole role) => role switch
    {
        ParticipantRole.Professional => "professional",
        ParticipantRole.Patient => "patient",
        ParticipantRole.Representative => "representative",
        ParticipantRole.Interpreter => "interpreter",
        ParticipantRole.Guest => "guest",
        _ => "guardian",
    };

    public static string Name(VisitStatus status) => status switch
    {
        VisitStatus.NotOpened => "not-opened",
        VisitStatus.Open => "open",
        _ => "ended",
    };
}

/// <summary>
/// What a change produced: the store writes it made (<see cref="SavedAsync"/>) and the messages to send,
/// in order, once the room's lock is released and those writes are stored.
/// </summary>
public sealed class Outbox
{
    private readonly List<(string ConnectionId, object Message)> _items = [];
    private readonly List<Task> _saves = [];

    /// <summary>A store write this change made; the change is acknowledged only once it completes.</summary>
    public void Saving(Task save)
    {
        if (!save.IsCompletedSuccessfully)
        {
            _saves.Add(save);
        }
    }

    /// <summary>Completes when every write of this change is stored; fails with the first write that could not be.</summary>
    public Task SavedAsync() => _saves.Count == 0 ? Task.CompletedTask : Task.WhenAll(_saves);

    public IReadOnlyList<(string ConnectionId, object Message)> Items => _items;

    public void VisitState(string connectionId, VisitStateSnapshot snapshot) => _items.Add((connectionId, snapshot));

    public void Chat(string connectionId, ChatMessage message) => _items.Add((connectionId, message));

    public void Removed(string connectionId, RemovedMessage message) => _items.Add((connectionId, message));

    public void VisitEnded(string connectionId, VisitEndedMessage message) => _items.Add((connectionId, message));

    /// <summary>
    /// Sends in order per connection, and to the connections side by side, so one client that reads
    /// slowly (its buffer full) does not hold up everyone else's updates.
    /// </summary>
    public Task SendAsync(IVisitNotifier notifier)
    {
        if (_items.Count == 0)
        {
            return Task.CompletedTask;
        }

        return Task.WhenAll(_items.GroupBy(i => i.ConnectionId, StringComparer.Ordinal).Select(async connection =>
        {
            foreach (var (connectionId, message) in connection)
            {
                await (message switch
                {
                    VisitStateSnapshot s => notifier.VisitStateAsync(connectionId, s),
                    ChatMessage c => notifier.ChatMessageAsync(connectionId, c),
                    RemovedMessage r => notifier.RemovedAsync(connectionId, r),
                    VisitEndedMessage e => notifier.VisitEndedAsync(connectionId, e),
                    _ => Task.CompletedTask,
                });
            }
        }));
    }
}
