using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace VideoVisit.Server.Visits;

/// <summary>
/// The visits as people reach them through this server: checks who the caller is and their rights to
/// the appointment for every request, then hands the change to the visit where it runs
/// (<see cref="IVisitDirectory"/>: an Orleans grain per visit, or <see cref="LocalVisits"/> in the rules'
/// tests), which checks what its own state decides and tells everyone concerned.
/// Callers are identified by person id (from the token) and connection id (their hub connection).
/// </summary>
public sealed class VisitService
{
    private static readonly HashSet<string> SignalKinds = new(["offer", "answer", "ice", "restart"], StringComparer.Ordinal);

    private readonly ICatalogSource _catalog;
    private readonly IVisitNotifier _notifier;
    private readonly IVisitDirectory _visits;
    private readonly VisitOptions _options;
    private readonly TimeProvider _time;
    /// <summary>The visits each connection of this server joined, for when it closes.</summary>
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _connections = new(StringComparer.Ordinal);

    public VisitService(ICatalogSource catalog, IVisitStore store, IVisitNotifier notifier, IVisitDirectory visits, VisitOptions options, TimeProvider time)
    {
        _catalog = catalog;
        _notifier = notifier;
        _visits = visits;
        _options = options;
        _time = time;
    }

    /// <summary>Visits in this process only (the rules' tests).</summary>
    public VisitService(ICatalogSource catalog, IVisitStore store, IVisitNotifier notifier, VisitOptions options, TimeProvider time)
        : this(catalog, store, notifier, new LocalVisits(catalog, store, notifier, options, time), options, time)
    {
    }

    public VisitOptions Options => _options;

    /// <summary>Where the visits run.</summary>
    public IVisitDirectory Visits => _visits;

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

        if (await _visits.OpenAsync(appointment) != visitId)
        {
            // The appointment moved to another slot: that is another visit, which this invitation does not open.
            throw new VisitException(VisitError.Ended, "This visit has ended.");
        }

        Track(connectionId, visitId);
        return await _visits.Visit(visitId).Join(guest, null, role, connectionId, _visits.Server);
    }

    /// <summary>Where the visit of an invitation stands: null when it is gone (the appointment cancelled, moved or deleted).</summary>
    public async Task<VisitStatus?> StatusOfVisitAsync(string appointmentId, string visitId)
    {
        var appointment = Catalog.FindAppointment(appointmentId);
        if (appointment is null || appointment.IsCancelled)
        {
            return null;
        }

        return await _visits.FindAsync(appointment) == visitId && await _visits.Visit(visitId).Info() is { } info ? info.Status : null;
    }

    /// <summary>Whether <paramref name="personId"/> holds a seat (waiting, admitted or reconnecting) in the visit.</summary>
    public async Task<bool> HoldsSeatAsync(string visitId, string personId) =>
        await _visits.Visit(visitId).Info() is { } info && info.SeatHolderIds.Contains(personId);

    /// <summary>The visit and its appointment, for the professional's calls about it (invitations); null when there is none.</summary>
    public async Task<(VisitInfo Visit, Appointment Appointment)?> FindVisitAsync(string visitId) =>
        visitId is not null && await _visits.Visit(visitId).Info() is { } info && Catalog.FindAppointment(info.AppointmentId) is { } appointment
            ? (info, appointment)
            : null;

    /// <summary>A guest's invitation was revoked: their seat, if they hold one, is released and they are told why.</summary>
    public Task ReleaseGuestAsync(string visitId, string guestPersonId, string reason, string message) =>
        _visits.Visit(visitId).Release(guestPersonId, reason, message);

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

        var visitId = await _visits.OpenAsync(appointment);
        // Known before the seat is taken, so a connection that drops at this moment still starts its grace.
        Track(connectionId, visitId);
        return await _visits.Visit(visitId).Join(actor, onBehalfOf, role, connectionId, _visits.Server);
    }

    public async Task AdmitAsync(string personId, string connectionId, string visitId, string participantId) =>
        await (await AsProfessional(personId, visitId)).Admit(connectionId, participantId);

    public async Task AdmitAllAsync(string personId, string connectionId, string visitId) =>
        await (await AsProfessional(personId, visitId)).AdmitAll(connectionId);

    public async Task ReturnToWaitingAsync(string personId, string connectionId, string visitId, string participantId) =>
        await (await AsProfessional(personId, visitId)).ReturnToWaiting(connectionId, participantId);

    public async Task RemoveAsync(string personId, string connectionId, string visitId, string participantId) =>
        await (await AsProfessional(personId, visitId)).Remove(connectionId, participantId);

    public async Task AllowBackAsync(string personId, string connectionId, string visitId, string participantId) =>
        await (await AsProfessional(personId, visitId)).AllowBack(connectionId, participantId);

    public async Task EndVisitAsync(string personId, string connectionId, string visitId) =>
        await (await AsProfessional(personId, visitId)).EndVisit(connectionId);

    public async Task LeaveVisitAsync(string personId, string connectionId, string visitId)
    {
        MeOrGuest(personId);
        await _visits.Visit(visitId).Leave(connectionId);
        // The connection holds no seat there any more (one seat per connection and visit): when it
        // closes, that visit has nothing to hear, and in a cluster is not woken from the store for it.
        Untrack(connectionId, visitId);
    }

    /// <summary>Relays offer / answer / ice / restart between two admitted participants of the same visit.</summary>
    public async Task SendSignalAsync(string personId, string connectionId, string visitId, string toParticipantId, string kind, JsonElement payload)
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

        // The visit says whether both are in the call and where the target is; the payload goes from here.
        var route = await _visits.Visit(visitId).RouteSignal(connectionId, toParticipantId);
        await _notifier.SignalAsync(route.ToConnectionId, new SignalMessage(visitId, route.FromParticipantId, kind, payload));
    }

    public Task<ChatMessage> SendChatAsync(string personId, string connectionId, string visitId, string clientMessageId, string text, string? toParticipantId = null)
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

        return _visits.Visit(visitId).Chat(connectionId, clientMessageId, text, toParticipantId);
    }

    public Task ReportPrecheckAsync(string personId, string connectionId, string visitId, JsonElement report)
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

        return _visits.Visit(visitId).ReportPrecheck(connectionId, PrecheckReports.Summarize(report, Now), report.GetRawText());
    }

    /// <summary>The hub connection closed: every seat it held starts its reconnection grace.</summary>
    public async Task DisconnectedAsync(string connectionId)
    {
        if (!_connections.TryRemove(connectionId, out var visits))
        {
            return;
        }

        // Every visit hears of it, even when one cannot be reached; what failed is thrown afterwards (and logged by the hub).
        List<Exception>? failed = null;
        foreach (var visitId in visits.Keys)
        {
            try
            {
                await _visits.Visit(visitId).Disconnected(connectionId);
            }
#pragma warning disable CA1031 // Collected and thrown below, once every visit was told.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                (failed ??= []).Add(ex);
            }
        }

        if (failed is { Count: 1 })
        {
            ExceptionDispatchInfo.Throw(failed[0]);
        }

        if (failed is not null)
        {
            throw new AggregateException("A closed connection's visits could not all be told.", failed);
        }
    }

    /// <summary>The visits the rules' tests run in this process (null when visits run as grains).</summary>
    public LocalVisits? Local => _visits as LocalVisits;

    /// <summary>Releases seats whose reconnection grace ran out (visits in this process; grains do it with their own timers).</summary>
    public Task<int> SweepGraceAsync() => Local?.SweepGraceAsync() ?? Task.FromResult(0);

    /// <summary>Lets finished visits leave memory (visits in this process; idle grains deactivate on their own).</summary>
    public Task<int> EvictFinishedAsync() => Local?.EvictFinishedAsync() ?? Task.FromResult(0);

    /// <summary>A visit this process runs, by id (visits in this process only).</summary>
    public VisitRoom? FindRoom(string visitId) => Local?.FindRoom(visitId);

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
    /// everyone in it and waiting, with the reason. The visit is found by the slot it was opened for
    /// (<paramref name="before"/>), so a cancellation that also moves the time still ends it. (A moved
    /// appointment that is not cancelled needs nothing here: its next visit belongs to the new slot.)
    /// </summary>
    public async Task AppointmentChangedAsync(Appointment? before, Appointment after)
    {
        if (!after.IsCancelled)
        {
            return;
        }

        var slots = before is null || before.Start == after.Start ? [after] : new[] { before, after };
        foreach (var slot in slots)
        {
            if (await _visits.FindAsync(slot) is { } visitId)
            {
                await _visits.Visit(visitId).EndBecause("appointment-cancelled", CancelledMessage);
            }
        }
    }

    /// <summary>
    /// Rights of <paramref name="personIds"/> changed (a revoked or expired representation, a new
    /// non-disclosure marking): seats they hold on someone's behalf that they may no longer act for are
    /// released. The visits asked are those this server's connections are in (where such a seat is held).
    /// </summary>
    public async Task RecheckRightsAsync(IReadOnlyCollection<string> personIds)
    {
        var ids = personIds.ToArray();
        foreach (var visitId in VisitsOfConnections())
        {
            await _visits.Visit(visitId).RecheckRights(ids);
        }
    }

    /// <summary>
    /// Asks each visit this server's connections are in for its state (which brings a visit whose
    /// server died back to life elsewhere); returns how many answered, of how many.
    /// </summary>
    public async Task<(int Answered, int Total)> TouchVisitsOfConnectionsAsync()
    {
        var answered = 0;
        var visitIds = VisitsOfConnections();
        foreach (var visitId in visitIds)
        {
            try
            {
                await _visits.Visit(visitId).Info();
                answered++;
            }
#pragma warning disable CA1031 // Any failure: the visit is not reachable yet; the next call to it wakes it.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }

        return (answered, visitIds.Count);
    }

    private static string Name(VisitStatus? status) => status is { } s ? VisitRoom.Name(s) : "not-opened";

    private VisitStatus? StatusOf(Appointment appointment) => _visits.StatusOf(appointment);

    /// <summary>The visits this server's connections are in, each once.</summary>
    private List<string> VisitsOfConnections() => [.. _connections.Values.SelectMany(v => v.Keys).Distinct(StringComparer.Ordinal)];

    private void Track(string connectionId, string visitId) =>
        _connections.GetOrAdd(connectionId, _ => new ConcurrentDictionary<string, byte>(StringComparer.Ordinal))[visitId] = 0;

    private void Untrack(string connectionId, string visitId)
    {
        if (_connections.TryGetValue(connectionId, out var visits))
        {
            visits.TryRemove(visitId, out _);
        }
    }

    private async Task<IVisit> AsProfessional(string personId, string visitId)
    {
        var me = Me(personId);
        var found = await FindVisitAsync(visitId)
            ?? throw new VisitException(VisitError.NotInVisit, "You are not in this visit.");
        if (!Rights.IsProfessionalOf(me, found.Appointment))
        {
            throw new VisitException(VisitError.Forbidden, "Only the visit's professional can do that.");
        }

        return _visits.Visit(visitId);
    }
}

/// <summary>One row of <c>GET /api/appointments/upcoming</c>.</summary>
public sealed record UpcomingAppointment(Appointment Appointment, string? OnBehalfOf, bool CanBegin, DateTimeOffset BeginOpensAt, string? CannotBeginReason, string VisitState);
