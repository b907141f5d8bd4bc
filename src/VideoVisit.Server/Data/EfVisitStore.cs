using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Data;

/// <summary>
/// <see cref="IVisitStore"/> on EF Core. Writes go into a queue that one background loop saves in
/// batches, so a hub call never waits for the disk; stopping the server drains the queue first, so a
/// restart loses nothing. Reads (a visit's state and chat when it is first touched) go straight to the database.
/// </summary>
internal sealed partial class EfVisitStore(IDbContextFactory<VideoVisitDb> contexts, ILogger<EfVisitStore> log) : IVisitStore, IHostedService, IAsyncDisposable
{
    private const int BatchSize = 500;
    private readonly Channel<object> _writes = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private Task? _loop;

    /// <summary>
    /// The appointment slots that have a visit in the store, so a visit begun for the first time is
    /// known to be new without a query (joining is the hot path when a clinic's day starts).
    /// </summary>
    private readonly ConcurrentDictionary<string, byte> _slots = new(StringComparer.Ordinal);

    public StoredVisit? FindVisit(string appointmentId, DateTimeOffset appointmentStart)
    {
        var ticks = appointmentStart.UtcTicks;
        if (!_slots.ContainsKey(Slot(appointmentId, ticks)))
        {
            return null;
        }

        using var db = contexts.CreateDbContext();
        var visit = db.Visits.AsNoTracking().FirstOrDefault(v => v.AppointmentId == appointmentId && v.AppointmentStartTicks == ticks);
        if (visit is null)
        {
            return null;
        }

        var status = Enum.Parse<VisitStatus>(visit.Status);
        if (status == VisitStatus.Ended)
        {
            // Nobody can join an ended visit, so its chat and removals are never needed in memory.
            return new StoredVisit(visit.VisitId, status, [], []);
        }

        return new StoredVisit(visit.VisitId, status, RemovedSubjects(db, visit.VisitId), ChatOf(db, visit.VisitId));
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

    public void SaveVisit(string visitId, Appointment appointment, VisitStatus status, DateTimeOffset at)
    {
        _slots[Slot(appointment.Id, appointment.Start.UtcTicks)] = 0;
        Enqueue(db => Upsert(db, visitId, appointment, status, at));
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

    public void AppendEvent(VisitEvent visitEvent)
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

        Enqueue(db => db.VisitEvents.Add(ToRow(visitEvent)));
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

    public void SaveChat(StoredChat chat) => Enqueue(db => db.Chat.Add(new ChatRow
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

    public void SavePrecheck(string visitId, string participantId, string personId, PrecheckSummary summary, string reportJson) => Enqueue(db => db.Prechecks.Add(new PrecheckRow
    {
        VisitId = visitId,
        ParticipantId = participantId,
        PersonId = personId,
        State = summary.State,
        Summary = summary.Summary,
        ReportJson = reportJson,
        ReportedAt = summary.ReportedAt,
    }));

    /// <summary>Waits until everything queued so far is saved (tests, shutdown).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_writes.Writer.TryWrite(done))
        {
            return;
        }

        await done.Task.WaitAsync(cancellationToken);
    }

    private void Enqueue(Action<VideoVisitDb> write)
    {
        if (!_writes.Writer.TryWrite(write))
        {
            WriteAfterStop(log);
        }
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
        var batch = new List<object>(BatchSize);
        while (await _writes.Reader.WaitToReadAsync())
        {
            while (batch.Count < BatchSize && _writes.Reader.TryRead(out var write))
            {
                batch.Add(write);
            }

            try
            {
                // A batch of flush markers alone has nothing to save.
                if (batch.Exists(item => item is Action<VideoVisitDb>))
                {
                    await using var db = await contexts.CreateDbContextAsync();
                    foreach (var item in batch)
                    {
                        if (item is Action<VideoVisitDb> write)
                        {
                            write(db);
                        }
                    }

                    await db.SaveChangesAsync();
                }
            }
#pragma warning disable CA1031 // The loop must outlive one bad batch; the failure is logged.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                BatchFailed(log, batch.Count, ex);
            }

            foreach (var flushed in batch.OfType<TaskCompletionSource>())
            {
                flushed.TrySetResult();
            }

            batch.Clear();
        }
    }

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Visit {VisitId}: {Event}")]
    private static partial void VisitEventLogged(ILogger logger, string visitId, string @event);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Debug, Message = "Visit {VisitId}: {Event} ({ParticipantId})")]
    private static partial void VisitEventDetail(ILogger logger, string visitId, string @event, string? participantId);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "Saving {Count} visit records failed")]
    private static partial void BatchFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "A visit record was written after the store stopped and is lost")]
    private static partial void WriteAfterStop(ILogger logger);
}
