using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Data;

/// <summary>
/// <see cref="IVisitStore"/> on EF Core, write-behind with acknowledgement: every write goes into one
/// ordered queue, and one loop saves what has queued up (up to <see cref="BatchSize"/>) in one transaction,
/// then completes each write's task. So concurrent hub calls share a commit, and a caller that awaits its
/// write (a chat message before it is acknowledged, a transition's audit line) knows it is stored. A batch
/// that fails is saved again in halves (and halves of those), so one bad row fails only its own write; a
/// write that keeps failing on its own (<see cref="Attempts"/> tries) fails its task and is logged, never
/// dropped silently.
/// Reads (a visit's state and chat when it is first touched) go straight to the database.
/// </summary>
internal sealed partial class EfVisitStore(IDbContextFactory<VideoVisitDb> contexts, ILogger<EfVisitStore> log, bool shared = false) : IVisitStore, IHostedService, IAsyncDisposable
{
    private static readonly JsonSerializerOptions SeatJson = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private const int BatchSize = 500;

    /// <summary>Tries for a write that failed on its own (a database busy or reconnecting for a moment), with the pauses between them.</summary>
    private const int Attempts = 3;

    private static readonly TimeSpan[] Pauses = [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500)];

    private readonly Channel<Write> _writes = Channel.CreateUnbounded<Write>(new UnboundedChannelOptions { SingleReader = true });
    private Task? _loop;

    /// <summary>One write: what it adds to a context (nothing for a flush marker), what it is (for the log), and its completion.</summary>
    /// <param name="VisitRow">The visit whose row the write reads (seats, status): a batch loads all of them in one query.</param>
    private sealed record Write(string Kind, Action<VideoVisitDb>? Apply, string? VisitRow = null)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>
    /// The appointment slots that have a visit in the store, so a visit begun for the first time is
    /// known to be new without a query (joining is the hot path when a clinic's day starts).
    /// </summary>
    private readonly ConcurrentDictionary<string, byte> _slots = new(StringComparer.Ordinal);

    public StoredVisit? FindVisit(string appointmentId, DateTimeOffset appointmentStart)
    {
        var ticks = appointmentStart.UtcTicks;
        // Servers sharing the store (a cluster) each see only the visits they opened, so they always ask.
        if (!shared && !_slots.ContainsKey(Slot(appointmentId, ticks)))
        {
            return null;
        }

        using var db = contexts.CreateDbContext();
        var visit = db.Visits.AsNoTracking().FirstOrDefault(v => v.AppointmentId == appointmentId && v.AppointmentStartTicks == ticks);
        return visit is null ? null : Read(db, visit);
    }

    public VisitStatus? FindStatus(string appointmentId, DateTimeOffset appointmentStart)
    {
        var ticks = appointmentStart.UtcTicks;
        if (!shared && !_slots.ContainsKey(Slot(appointmentId, ticks)))
        {
            return null;
        }

        using var db = contexts.CreateDbContext();
        var status = db.Visits.AsNoTracking().Where(v => v.AppointmentId == appointmentId && v.AppointmentStartTicks == ticks).Select(v => v.Status).FirstOrDefault();
        return status is null ? null : Enum.Parse<VisitStatus>(status);
    }

    public (string AppointmentId, DateTimeOffset AppointmentStart, StoredVisit Visit)? FindVisitById(string visitId)
    {
        using var db = contexts.CreateDbContext();
        var visit = db.Visits.AsNoTracking().FirstOrDefault(v => v.VisitId == visitId);
        return visit is null ? null : (visit.AppointmentId, new DateTimeOffset(visit.AppointmentStartTicks, TimeSpan.Zero), Read(db, visit));
    }

    private static StoredVisit Read(VideoVisitDb db, VisitRow visit)
    {
        var status = Enum.Parse<VisitStatus>(visit.Status);
        if (status == VisitStatus.Ended)
        {
            // Nobody can join an ended visit, so its chat and removals are never needed in memory.
            return new StoredVisit(visit.VisitId, status, [], []);
        }

        return new StoredVisit(visit.VisitId, status, RemovedSubjects(db, visit.VisitId), ChatOf(db, visit.VisitId))
        {
            Seats = visit.Seats is { Length: > 0 } seats ? JsonSerializer.Deserialize<List<StoredSeat>>(seats, SeatJson) : null,
            SeatsVersion = visit.SeatsVersion,
        };
    }

    public Task SaveSeats(string visitId, IReadOnlyList<StoredSeat> seats, long version)
    {
        var json = JsonSerializer.Serialize(seats, SeatJson);
        return Enqueue("seats", visitId, db =>
        {
            // The visit's row is written when it is opened, before anyone takes a seat. A write older than
            // the one stored (from a server that ran the visit before) does not overwrite it.
            if (db.Visits.Find(visitId) is { } row && row.SeatsVersion <= version)
            {
                row.Seats = json;
                row.SeatsVersion = version;
            }
        });
    }

    /// <summary>The people whose place is removed: each removal, unless a later "allowed-back" undid it.</summary>
    private static HashSet<string> RemovedSubjects(VideoVisitDb db, string visitId)
    {
        var removed = new HashSet<string>(StringComparer.Ordinal);
        var events = db.VisitEvents.AsNoTracking()
            .Where(e => e.VisitId == visitId && (e.Kind == "removed" || e.Kind == "allowed-back"))
            .OrderBy(e => e.Id)
            .Select(e => new { e.Kind, Subject = e.Detail ?? e.TargetPersonId });
        foreach (var e in events)
        {
            if (e.Subject is null)
            {
                continue;
            }

            if (e.Kind == "removed")
            {
                removed.Add(e.Subject);
            }
            else
            {
                removed.Remove(e.Subject);
            }
        }

        return removed;
    }

    private static List<StoredChat> ChatOf(VideoVisitDb db, string visitId) =>
        db.Chat.AsNoTracking()
            .Where(c => c.VisitId == visitId)
            .OrderBy(c => c.SentAtTicks)
            .AsEnumerable()
            .Select(c => new StoredChat(
                new ChatMessage(c.VisitId, c.MessageId, c.ClientMessageId, c.FromParticipantId, c.FromDisplayName, c.Text, c.SentAt),
                c.SenderPersonId,
                Enum.Parse<ChatAudience>(c.Audience),
                ParseReaders(c.Readers)))
            .ToList();

    /// <summary>
    /// Readers are kept as a comma-separated list. A message saved before readers were kept has none:
    /// it stays readable by the professionals and its sender only, the safe reading of an unknown audience.
    /// </summary>
    private static HashSet<string> ParseReaders(string? readers) =>
        new(readers?.Split(',', StringSplitOptions.RemoveEmptyEntries) ?? [], StringComparer.Ordinal);

    public Task SaveVisit(string visitId, Appointment appointment, VisitStatus status, DateTimeOffset at)
    {
        _slots[Slot(appointment.Id, appointment.Start.UtcTicks)] = 0;
        return Enqueue("visit", visitId, db => Upsert(db, visitId, appointment, status, at));
    }

    private static void Upsert(VideoVisitDb db, string visitId, Appointment appointment, VisitStatus status, DateTimeOffset at)
    {
        var row = db.Visits.Find(visitId);
        if (row is null)
        {
            db.Visits.Add(new VisitRow
            {
                VisitId = visitId,
                AppointmentId = appointment.Id,
                AppointmentStartTicks = appointment.Start.UtcTicks,
                Status = status.ToString(),
                UpdatedAt = at,
            });
        }
        else
        {
            row.Status = status.ToString();
            row.UpdatedAt = at;
        }
    }

    private static string Slot(string appointmentId, long startTicks) => appointmentId + "|" + startTicks.ToString(CultureInfo.InvariantCulture);

    public Task AppendEvent(VisitEvent visitEvent)
    {
        // Operators see the lifecycle by visit and event; who it was stays in the audit trail, not the log.
        if (visitEvent.Kind is "opened" or "ended" or "removed" or "grace-expired")
        {
            VisitEventLogged(log, visitEvent.VisitId, visitEvent.Kind);
        }
        else
        {
            VisitEventDetail(log, visitEvent.VisitId, visitEvent.Kind, visitEvent.ParticipantId);
        }

        // A new row object at every try: a failed try may have left a generated key on the last one.
        return Enqueue("event", db => db.VisitEvents.Add(ToRow(visitEvent)));
    }

    private static VisitEventRow ToRow(VisitEvent visitEvent) => new()
    {
        VisitId = visitEvent.VisitId,
        At = visitEvent.At,
        Kind = visitEvent.Kind,
        ActorId = visitEvent.ActorId,
        OnBehalfOfId = visitEvent.OnBehalfOfId,
        ParticipantId = visitEvent.ParticipantId,
        TargetParticipantId = visitEvent.TargetParticipantId,
        TargetPersonId = visitEvent.TargetPersonId,
        Detail = visitEvent.Detail,
    };

    public Task SaveChat(StoredChat chat) => Enqueue("chat", db => db.Chat.Add(new ChatRow
    {
            MessageId = chat.Message.MessageId,
            VisitId = chat.Message.VisitId,
            ClientMessageId = chat.Message.ClientMessageId,
            SenderPersonId = chat.SenderPersonId,
            FromParticipantId = chat.Message.FromParticipantId,
            FromDisplayName = chat.Message.FromDisplayName,
            Text = chat.Message.Text,
            SentAt = chat.Message.SentAt,
            SentAtTicks = chat.Message.SentAt.UtcTicks,
            Audience = chat.Audience.ToString(),
            Readers = string.Join(',', chat.Readers.Order(StringComparer.Ordinal)),
    }));

    public Task SavePrecheck(string visitId, string participantId, string personId, PrecheckSummary summary, string reportJson) => Enqueue("precheck", db => db.Prechecks.Add(new PrecheckRow
    {
            VisitId = visitId,
            ParticipantId = participantId,
            PersonId = personId,
            State = summary.State,
            Summary = summary.Summary,
            ReportJson = reportJson,
            ReportedAt = summary.ReportedAt,
    }));

    /// <summary>Waits until every write made so far is settled (stored, or failed and reported to its caller).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var marker = new Write("flush", null);
        if (_writes.Writer.TryWrite(marker))
        {
            await marker.Done.Task.WaitAsync(cancellationToken);
        }
    }

    private Task Enqueue(string kind, Action<VideoVisitDb> apply) => Enqueue(kind, null, apply);

    private Task Enqueue(string kind, string? visitRow, Action<VideoVisitDb> apply)
    {
        var write = new Write(kind, apply, visitRow);
        if (!_writes.Writer.TryWrite(write))
        {
            WriteAfterStop(log, kind);
            return Task.FromException(new InvalidOperationException("The visit store has stopped; the " + kind + " record was not saved."));
        }

        return write.Done.Task;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            await foreach (var slot in db.Visits.AsNoTracking().Select(v => new { v.AppointmentId, v.AppointmentStartTicks }).AsAsyncEnumerable().WithCancellation(cancellationToken))
            {
                _slots[Slot(slot.AppointmentId, slot.AppointmentStartTicks)] = 0;
            }
        }

        _loop = Task.Run(WriteLoopAsync, CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _writes.Writer.TryComplete();
        if (_loop is not null)
        {
            await _loop.WaitAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _writes.Writer.TryComplete();
        if (_loop is not null)
        {
            await _loop;
        }
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Write>(BatchSize);
        while (await _writes.Reader.WaitToReadAsync())
        {
            while (batch.Count < BatchSize && _writes.Reader.TryRead(out var write))
            {
                batch.Add(write);
            }

            var rows = batch.FindAll(w => w.Apply is not null);
            if (rows.Count > 0 && !await TrySaveAsync(rows, logFailure: true))
            {
                await SaveInPartsAsync(rows);
            }

            foreach (var write in batch)
            {
                // Stored ones (and flush markers); a write that failed alone has already failed its task.
                write.Done.TrySetResult();
            }

            batch.Clear();
        }
    }

    /// <summary>One transaction for all of <paramref name="rows"/>; false (nothing saved) if it failed.</summary>
    private async Task<bool> TrySaveAsync(IReadOnlyList<Write> rows, bool logFailure = false, List<Exception>? errors = null)
    {
        try
        {
            await using var db = await contexts.CreateDbContextAsync();
            // The visit rows the batch reads, in one query instead of one each (Find then sees them tracked).
            var visitRows = rows.Select(w => w.VisitRow).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
            if (visitRows.Count > 0)
            {
                await db.Visits.Where(v => visitRows.Contains(v.VisitId)).LoadAsync();
            }

            foreach (var write in rows)
            {
                write.Apply!(db);
            }

            await db.SaveChangesAsync();
            return true;
        }
#pragma warning disable CA1031 // Any failure: the writes are tried again in smaller parts, and a write that still fails fails its caller.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            errors?.Add(ex);
            if (logFailure)
            {
                BatchFailed(log, rows.Count, ex);
            }

            return false;
        }
    }

    /// <summary>
    /// After a failed batch: each half again, and a half that fails is split in turn, so one bad row among
    /// 500 costs about twenty tries, not 500, and fails only itself. Order is kept (the first half first).
    /// </summary>
    private async Task SaveInPartsAsync(List<Write> rows)
    {
        if (rows.Count == 1)
        {
            await RetryAloneAsync(rows[0]);
            return;
        }

        var half = rows.Count / 2;
        foreach (var part in new[] { rows[..half], rows[half..] })
        {
            if (!await TrySaveAsync(part))
            {
                await SaveInPartsAsync(part);
            }
        }
    }

    /// <summary>A write that failed on its own: tried again (a database busy or reconnecting for a moment), then failed to its caller.</summary>
    private async Task RetryAloneAsync(Write write)
    {
        var errors = new List<Exception>();
        for (var attempt = 2; attempt <= Attempts; attempt++)
        {
            await Task.Delay(Pauses[Math.Min(attempt - 2, Pauses.Length - 1)]);
            if (await TrySaveAsync([write], errors: errors))
            {
                return;
            }
        }

        WriteFailed(log, write.Kind, Attempts, errors[^1]);
        write.Done.TrySetException(errors[^1]);
    }

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Visit {VisitId}: {Event}")]
    private static partial void VisitEventLogged(ILogger logger, string visitId, string @event);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Debug, Message = "Visit {VisitId}: {Event} ({ParticipantId})")]
    private static partial void VisitEventDetail(ILogger logger, string visitId, string @event, string? participantId);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Saving {Count} visit records together failed; they are saved again in parts")]
    private static partial void BatchFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Error, Message = "A visit {Kind} record could not be saved after {Attempts} tries; its caller was told")]
    private static partial void WriteFailed(ILogger logger, string kind, int attempts, Exception exception);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "A visit {Kind} record was written after the store stopped; its caller was told")]
    private static partial void WriteAfterStop(ILogger logger, string kind);
}
