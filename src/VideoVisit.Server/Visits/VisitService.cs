using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace VideoVisit.Server.Visits;

/// <summary>
/// The visits of this server: finds or opens the visit for an appointment, checks the caller's
/// rights for every request, runs the rooms and sends what they produce through <see cref="IVisitNotifier"/>.
/// Callers are identified by person id (from the token) and connection id (their hub connection).
/// </summary>
public sealed class VisitService
{
    private static readonly HashSet<string> SignalKinds = new(["offer", "answer", "ice", "restart"], StringComparer.Ordinal);

    private readonly ICatalogSource _catalog;
    private readonly IVisitStore _store;
    private readonly IVisitNotifier _notifier;
    private readonly VisitOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, VisitRoom> _rooms = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<VisitRoom>> _bySlot = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _connections = new(StringComparer.Ordinal);

    public VisitService(ICatalogSource catalog, IVisitStore store, IVisitNotifier notifier, VisitOptions options, TimeProvider time)
    {
        _catalog = catalog;
        _store = store;
        _notifier = notifier;
        _options = options;
        _time = time;
    }

    public VisitOptions Options => _options;

    private Catalog Catalog => _catalog.Current;

    private DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>The person behind a token, or a refusal when the service does not know them.</summary>
    public Person Me(string? personId) =>
        Catalog.FindPerson(personId) ?? throw new VisitException(VisitError.Forbidden, "Your account is not known to this service.");

    /// <summary>
    /// A caller of the calls that act only on a seat the connection already holds (leave, signal, chat,
    /// precheck): a known person, or a guest (whose only seat is the one their invitation gave).
    /// </summary>
    public Person MeOrGuest(string? personId) => GuestIds.IsGuest(personId) ? new Person(personId!, "Guest") : Me(personId);

    /// <summary>A guest by invitation knocks on (or resumes their seat in) the visit <paramref name="visitId"/>; rights are the invitation's, checked by <see cref="GuestInvitations"/>.</summary>
    public async Task<BeginVisitResult> JoinAsGuestAsync(Person guest, ParticipantRole role, string appointmentId, string visitId, string connectionId)
    {
        var appointment = Catalog.FindAppointment(appointmentId)
            ?? throw new VisitException(VisitError.Ended, "This visit has ended.");
        if (appointment.IsCancelled)
        {
            throw new VisitException(VisitError.WrongState, CancelledMessage);
        }

        var room = RoomFor(appointment);
        if (room.VisitId != visitId)
        {
            // The appointment moved to another slot: that is another visit, which this invitation does not open.
            throw new VisitException(VisitError.Ended, "This visit has ended.");
        }

        _connections.GetOrAdd(connectionId, _ => new ConcurrentDictionary<string, byte>(StringComparer.Ordinal))[room.VisitId] = 0;
        var outbox = new Outbox();
        var result = room.Join(guest, null, role, connectionId, Now, outbox);
        await outbox.SendAsync(_notifier);
        return result;
    }

    /// <summary>Where the visit of an invitation stands: null when it is gone (the appointment cancelled, moved or deleted).</summary>
    public VisitStatus? StatusOfVisit(string appointmentId, string visitId)
    {
        if (_rooms.TryGetValue(visitId, out var room))
        {
            return room.Status;
        }

        var appointment = Catalog.FindAppointment(appointmentId);
        if (appointment is null || appointment.IsCancelled)
        {
            return null;
        }

        var stored = _store.FindVisit(appointment.Id, appointment.Start);
        return stored?.VisitId == visitId ? stored.Status : null;
    }

    /// <summary>Whether <paramref name="personId"/> holds a seat (waiting, admitted or reconnecting) in the visit.</summary>
    public bool HoldsSeat(string visitId, string personId) =>
        _rooms.TryGetValue(visitId, out var room) && room.Participants.Any(p => p.IsActive && p.Actor.Id == personId);

    /// <summary>A guest's invitation was revoked: their seat, if they hold one, is released and they are told why.</summary>
    public async Task ReleaseGuestAsync(string visitId, string guestPersonId, string reason, string message)
    {
        if (!_rooms.TryGetValue(visitId, out var room))
        {
            return;
        }

        var outbox = new Outbox();
        room.RemoveWhere(p => p.Actor.Id == guestPersonId, reason, message, Now, outbox);
        await outbox.SendAsync(_notifier);
    }

    public async Task<BeginVisitResult> BeginVisitAsync(string personId, string connectionId, string appointmentId, string? onBehalfOfId)
    {
        var actor = Me(personId);
        var appointment = Catalog.FindAppointment(appointmentId)
            ?? throw new VisitException(VisitError.NotFound, "There is no such appointment.");
        if (appointment.IsCancelled)
        {
            throw new VisitException(VisitError.WrongState, CancelledMessage);
        }

        if (onBehalfOfId == actor.Id || string.IsNullOrEmpty(onBehalfOfId))
        {
            onBehalfOfId = null;
        }

        Person? onBehalfOf = null;
        ParticipantRole role;
        if (actor.IsProfessional)
        {
            if (onBehalfOfId is not null)
            {
                throw new VisitException(VisitError.Invalid, "A professional joins a visit as themselves.");
            }

            if (!Rights.IsProfessionalOf(actor, appointment))
            {
                throw new VisitException(VisitError.Forbidden, "This appointment belongs to another unit.");
            }

            role = ParticipantRole.Professional;
        }
        else
        {
            onBehalfOf = onBehalfOfId is null ? null : Catalog.FindPerson(onBehalfOfId);
            var subject = onBehalfOfId is null ? actor : onBehalfOf;
            if (subject is null || !appointment.PatientIds.Contains(subject.Id) || !Rights.May(Catalog, actor, subject, Capability.View, Now))
            {
                throw new VisitException(VisitError.Forbidden, "This appointment is not yours or of anyone you may act for.");
            }

            if (!Rights.May(Catalog, actor, subject, Capability.Act, Now))
            {
                throw new VisitException(VisitError.Forbidden, "You may view this appointment but not begin or join its visit on that person's behalf.");
            }

            role = onBehalfOf is null ? ParticipantRole.Patient
                : Catalog.RepresentationsBy(actor.Id).Any(r => r.PersonId == onBehalfOf.Id && r.Scope == RepresentationScope.Guardian)
                    ? ParticipantRole.Guardian
                    : ParticipantRole.Representative;
        }

        var room = RoomFor(appointment);
        await CreatedAsync(appointment, room);
        // Known before the seat is taken, so a connection that drops at this moment still starts its grace.
        _connections.GetOrAdd(connectionId, _ => new ConcurrentDictionary<string, byte>(StringComparer.Ordinal))[room.VisitId] = 0;
        var outbox = new Outbox();
        var result = room.Join(actor, onBehalfOf, role, connectionId, Now, outbox);
        await DeliverAsync(outbox);
        return result;
    }

    public Task AdmitAsync(string personId, string connectionId, string visitId, string participantId) =>
        AsProfessional(personId, visitId, (room, outbox) => room.Admit(connectionId, participantId, Now, outbox));

    public Task AdmitAllAsync(string personId, string connectionId, string visitId) =>
        AsProfessional(personId, visitId, (room, outbox) => room.AdmitAll(connectionId, Now, outbox));

    public Task ReturnToWaitingAsync(string personId, string connectionId, string visitId, string participantId) =>
        AsProfessional(personId, visitId, (room, outbox) => room.ReturnToWaiting(connectionId, participantId, Now, outbox));

    public Task RemoveAsync(string personId, string connectionId, string visitId, string participantId) =>
        AsProfessional(personId, visitId, (room, outbox) => room.Remove(connectionId, participantId, Now, outbox));

    public Task AllowBackAsync(string personId, string connectionId, string visitId, string participantId) =>
        AsProfessional(personId, visitId, (room, outbox) => room.AllowBack(connectionId, participantId, Now, outbox));

    public Task EndVisitAsync(string personId, string connectionId, string visitId) =>
        AsProfessional(personId, visitId, (room, outbox) => room.End(connectionId, Now, outbox));

    public async Task LeaveVisitAsync(string personId, string connectionId, string visitId)
    {
        MeOrGuest(personId);
        var room = Room(visitId);
        var outbox = new Outbox();
        room.Leave(connectionId, Now, outbox);
        await DeliverAsync(outbox);
    }

    /// <summary>Relays offer / answer / ice / restart between two admitted participants of the same visit.</summary>
    public Task SendSignalAsync(string personId, string connectionId, string visitId, string toParticipantId, string kind, JsonElement payload)
    {
        MeOrGuest(personId);
        if (kind is null || !SignalKinds.Contains(kind))
        {
            throw new VisitException(VisitError.Invalid, "Unknown signal kind: use offer, answer, ice or restart.");
        }

        if (payload.ValueKind == JsonValueKind.Undefined || JsonMarshal.GetRawUtf8Value(payload).Length > _options.MaxSignalPayloadBytes)
        {
            throw new VisitException(VisitError.TooLarge, $"A signal may carry at most {_options.MaxSignalPayloadBytes / 1024} KiB.");
        }

        var room = Room(visitId);
        var target = room.Signal(connectionId, toParticipantId, kind, payload, out var message);
        return _notifier.SignalAsync(target, message);
    }

    public async Task<ChatMessage> SendChatAsync(string personId, string connectionId, string visitId, string clientMessageId, string text, string? toParticipantId = null)
    {
        MeOrGuest(personId);
        if (string.IsNullOrWhiteSpace(clientMessageId) || clientMessageId.Length > 100)
        {
            throw new VisitException(VisitError.Invalid, "A chat message needs a client message id of at most 100 characters.");
        }

        text = text?.Trim() ?? "";
        if (text.Length == 0)
        {
            throw new VisitException(VisitError.Invalid, "A chat message cannot be empty.");
        }

        if (text.Length > _options.MaxChatLength)
        {
            throw new VisitException(VisitError.TooLarge, $"A chat message may be at most {_options.MaxChatLength} characters.");
        }

        var room = Room(visitId);
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

        await outbox.SendAsync(_notifier);
        return message;
    }

    public async Task ReportPrecheckAsync(string personId, string connectionId, string visitId, JsonElement report)
    {
        MeOrGuest(personId);
        if (report.ValueKind != JsonValueKind.Object)
        {
            throw new VisitException(VisitError.Invalid, "A precheck report is a JSON object.");
        }

        if (JsonMarshal.GetRawUtf8Value(report).Length > _options.MaxPrecheckBytes)
        {
            throw new VisitException(VisitError.TooLarge, $"A precheck report may be at most {_options.MaxPrecheckBytes} bytes.");
        }

        var room = Room(visitId);
        var outbox = new Outbox();
        room.ReportPrecheck(connectionId, PrecheckReports.Summarize(report, Now), report.GetRawText(), Now, outbox);
        await DeliverAsync(outbox);
    }

    /// <summary>The hub connection closed: every seat it held starts its reconnection grace.</summary>
    public async Task DisconnectedAsync(string connectionId)
    {
        if (!_connections.TryRemove(connectionId, out var visits))
        {
            return;
        }

        foreach (var visitId in visits.Keys)
        {
            if (_rooms.TryGetValue(visitId, out var room))
            {
                var outbox = new Outbox();
                room.Disconnected(connectionId, Now, outbox);
                await DeliverAsync(outbox, hasCaller: false);
            }
        }
    }

    /// <summary>Releases seats whose reconnection grace ran out and tells the others.</summary>
    public async Task<int> SweepGraceAsync()
    {
        var expired = 0;
        foreach (var room in _rooms.Values)
        {
            if (!room.HasSeatsInGrace)
            {
                continue;
            }

            var outbox = new Outbox();
            expired += room.ExpireGrace(Now, outbox);
            await DeliverAsync(outbox, hasCaller: false);
        }

        return expired;
    }

    /// <summary>
    /// Lets finished visits leave memory; returns how many. A finished visit takes no more writes, so
    /// once what was queued before is saved, reading it back from the store gives the same visit.
    /// </summary>
    public async Task<int> EvictFinishedAsync()
    {
        var now = Now;
        var finished = _bySlot.Where(s => s.Value.IsValueCreated && s.Value.Value.IsFinished(now)).ToList();
        if (finished.Count == 0)
        {
            return 0;
        }

        await _store.FlushAsync();
        var evicted = 0;
        foreach (var slot in finished)
        {
            if (_bySlot.TryRemove(slot))
            {
                _rooms.TryRemove(slot.Value.Value.VisitId, out _);
                evicted++;
            }
        }

        return evicted;
    }

    /// <summary>A visit this server runs, by id.</summary>
    public VisitRoom? FindRoom(string visitId) => _rooms.TryGetValue(visitId, out var room) ? room : null;

    /// <summary>The caller's and represented people's appointments that can still be begun or are coming.</summary>
    public IReadOnlyList<UpcomingAppointment> Upcoming(string personId)
    {
        var me = Me(personId);
        var now = Now;
        var list = new List<UpcomingAppointment>();
        // Asked of the store by person and time window: a visit can still be begun until BeginClosesAfterEnd past its end.
        var endsFrom = now - _options.BeginClosesAfterEnd;
        var startsBefore = now + TimeSpan.FromDays(_options.UpcomingDays);
        var candidates = me.IsProfessional
            ? Catalog.AppointmentsOfUnit(me.UnitId!, endsFrom, startsBefore, _options.UpcomingLimit)
            : Catalog.AppointmentsOfPatients([me.Id, .. Catalog.RepresentationsBy(me.Id).Select(r => r.PersonId)], endsFrom, startsBefore, _options.UpcomingLimit);
        foreach (var appointment in candidates)
        {
            var (opensAt, closesAt) = VisitRoom.WindowOf(appointment, _options);
            if (closesAt < now)
            {
                continue;
            }

            string? onBehalfOf = null;
            bool mayAct;
            if (me.IsProfessional)
            {
                if (!Rights.IsProfessionalOf(me, appointment))
                {
                    continue;
                }

                mayAct = true;
            }
            else if (appointment.PatientIds.Contains(me.Id))
            {
                mayAct = true;
            }
            else
            {
                var subject = appointment.PatientIds.Select(Catalog.FindPerson).OfType<Person>()
                    .FirstOrDefault(s => Rights.May(Catalog, me, s, Capability.View, now));
                if (subject is null)
                {
                    continue;
                }

                onBehalfOf = subject.Id;
                mayAct = Rights.May(Catalog, me, subject, Capability.Act, now);
            }

            var status = StatusOf(appointment);
            string? reason = appointment.IsCancelled ? CancelledMessage
                : !mayAct ? "You may view this appointment but not begin its visit."
                : status == VisitStatus.Ended ? "This visit has ended."
                : now < opensAt ? "Begin visit opens " + _options.BeginOpensMinutesBefore + " minutes before the start."
                : null;
            list.Add(new UpcomingAppointment(appointment, onBehalfOf, reason is null, opensAt, reason, Name(status)));
        }

        return list;
    }

    /// <summary>What everyone is told when the clinic cancels an appointment.</summary>
    public const string CancelledMessage = "The appointment was cancelled.";

    /// <summary>
    /// The clinic's system changed an appointment: when it was cancelled, its open visit ends for
    /// everyone in it and waiting, with the reason. (A moved appointment needs nothing here: its next
    /// visit belongs to the new slot.)
    /// </summary>
    public async Task AppointmentChangedAsync(Appointment appointment)
    {
        if (!appointment.IsCancelled)
        {
            return;
        }

        foreach (var room in _rooms.Values.Where(r => r.Appointment.Id == appointment.Id))
        {
            var outbox = new Outbox();
            room.EndBecause("appointment-cancelled", CancelledMessage, Now, outbox);
            await DeliverAsync(outbox, hasCaller: false);
        }
    }

    /// <summary>
    /// Rights of <paramref name="personIds"/> changed (a revoked or expired representation, a new
    /// non-disclosure marking): seats they hold on someone's behalf that they may no longer act for are released.
    /// </summary>
    public async Task RecheckRightsAsync(IReadOnlyCollection<string> personIds)
    {
        var now = Now;
        foreach (var room in _rooms.Values)
        {
            var outbox = new Outbox();
            room.RemoveWhere(
                p => p.OnBehalfOf is { } subject && personIds.Contains(p.Actor.Id)
                    && (Catalog.FindPerson(p.Actor.Id) is not { } actor || Catalog.FindPerson(subject.Id) is not { } current
                        || !Rights.May(Catalog, actor, current, Capability.Act, now)),
                "right-ended",
                "You may no longer act on this person's behalf, so your place in this visit was released.",
                now,
                outbox);
            await DeliverAsync(outbox, hasCaller: false);
        }
    }

    private static string Name(VisitStatus? status) => status is { } s ? VisitRoom.Name(s) : "not-opened";

    private VisitStatus? StatusOf(Appointment appointment)
    {
        if (_bySlot.TryGetValue(SlotKey(appointment), out var lazy) && lazy.IsValueCreated)
        {
            return lazy.Value.Status;
        }

        return _store.FindVisit(appointment.Id, appointment.Start)?.Status;
    }

    private async Task AsProfessional(string personId, string visitId, Action<VisitRoom, Outbox> change)
    {
        var me = Me(personId);
        var room = Room(visitId);
        if (!Rights.IsProfessionalOf(me, room.Appointment))
        {
            throw new VisitException(VisitError.Forbidden, "Only the visit's professional can do that.");
        }

        var outbox = new Outbox();
        change(room, outbox);
        await DeliverAsync(outbox);
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

        await outbox.SendAsync(_notifier);
        if (failed is not null && hasCaller)
        {
            throw new VisitException(VisitError.Unavailable, "That was done, but the visit's record could not be saved just now. Please try again in a moment.", failed);
        }
    }

    /// <summary>A visit opened for the first time is stored before anyone joins it; if that failed, the next attempt opens it again.</summary>
    private async Task CreatedAsync(Appointment appointment, VisitRoom room)
    {
        try
        {
            await room.Created;
        }
        catch (Exception ex)
        {
            var key = SlotKey(appointment);
            if (_bySlot.TryGetValue(key, out var lazy) && lazy.IsValueCreated && ReferenceEquals(lazy.Value, room))
            {
                _bySlot.TryRemove(new KeyValuePair<string, Lazy<VisitRoom>>(key, lazy));
                _rooms.TryRemove(new KeyValuePair<string, VisitRoom>(room.VisitId, room));
            }

            throw new VisitException(VisitError.Unavailable, "The visit could not be opened just now. Please try again in a moment.", ex);
        }
    }

    private VisitRoom Room(string visitId) =>
        visitId is not null && _rooms.TryGetValue(visitId, out var room)
            ? room
            : throw new VisitException(VisitError.NotInVisit, "You are not in this visit.");

    private VisitRoom RoomFor(Appointment appointment)
    {
        var key = SlotKey(appointment);
        var lazy = _bySlot.GetOrAdd(key, _ => new Lazy<VisitRoom>(() => Load(appointment)));
        try
        {
            return lazy.Value;
        }
        catch (Exception ex) when (ex is not VisitException)
        {
            // A failed load (the database busy or away for a moment) must not stick to the slot: the
            // next attempt loads again. Everyone waiting on this attempt gets the same clear error.
            _bySlot.TryRemove(new KeyValuePair<string, Lazy<VisitRoom>>(key, lazy));
            throw new VisitException(VisitError.Unavailable, "The visit could not be opened just now. Please try again in a moment.", ex);
        }
    }

    private VisitRoom Load(Appointment appointment)
    {
        var stored = _store.FindVisit(appointment.Id, appointment.Start);
        var visitId = stored?.VisitId ?? VisitRoom.NewId("v-");
        var room = new VisitRoom(visitId, appointment, _store, _options, stored)
        {
            Created = stored is null ? _store.SaveVisit(visitId, appointment, VisitStatus.NotOpened, Now) : Task.CompletedTask,
        };
        _rooms[visitId] = room;
        return room;
    }

    private static string SlotKey(Appointment appointment) => appointment.Id + "|" + appointment.Start.UtcTicks;
}

/// <summary>One row of <c>GET /api/appointments/upcoming</c>.</summary>
public sealed record UpcomingAppointment(Appointment Appointment, string? OnBehalfOf, bool CanBegin, DateTimeOffset BeginOpensAt, string? CannotBeginReason, string VisitState);
