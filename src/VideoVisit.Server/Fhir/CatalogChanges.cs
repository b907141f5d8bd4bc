using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using VideoVisit.Server.Auth;
using VideoVisit.Server.Data;
using VideoVisit.Server.Hubs;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Fhir;

/// <summary>The <c>AppointmentsChanged</c> hub event: re-read Upcoming events (or the console's list).</summary>
public sealed record AppointmentsChangedMessage(IReadOnlyList<string> AppointmentIds);

/// <summary>
/// The live effects of a committed FHIR write, at once, on every open page: whoever is connected and
/// sees a changed appointment (its patients, those who may act for them, the unit's professionals)
/// is told to re-read; a cancelled appointment ends its open visit with the reason; a right that
/// ended releases the seats held on it. Only connected people are considered, so a bulk import with
/// nobody online costs nothing here.
/// </summary>
internal sealed partial class CatalogChanges(
    IHubContext<VisitHub, IVisitClient> hub,
    VisitService visits,
    LiveCatalog catalog,
    Presence presence,
    ILogger<CatalogChanges> log)
{
    public async Task PublishAsync(CatalogChange change)
    {
        try
        {
            foreach (var (before, after) in change.Appointments)
            {
                if (after.IsCancelled && before?.IsCancelled != true)
                {
                    await visits.AppointmentChangedAsync(after);
                }
            }

            if (change.RightsChangedFor.Count > 0)
            {
                await visits.RecheckRightsAsync(change.RightsChangedFor);
            }

            await NotifyAsync(change);
        }
#pragma warning disable CA1031 // The write is committed; a failed push must not turn it into an error for the clinic's system.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            PushFailed(log, ex);
        }
    }

    private async Task NotifyAsync(CatalogChange change)
    {
        var online = presence.Online;
        if (online.Count == 0)
        {
            return;
        }

        var patients = new HashSet<string>(StringComparer.Ordinal);
        var units = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (before, after) in change.Appointments)
        {
            patients.UnionWith(after.PatientIds);
            units.Add(after.UnitId);
            if (before is not null)
            {
                patients.UnionWith(before.PatientIds);
                units.Add(before.UnitId);
            }
        }

        var appointmentIds = change.Appointments.Select(a => a.After.Id).Distinct(StringComparer.Ordinal).ToList();
        var message = new AppointmentsChangedMessage(appointmentIds);
        foreach (var personId in online)
        {
            var person = catalog.FindPerson(personId);
            var concerned = change.RightsChangedFor.Contains(personId)
                || change.PeopleChanged.Contains(personId)
                || patients.Contains(personId)
                || (person?.UnitId is { } unit && units.Contains(unit))
                || catalog.RepresentationsBy(personId).Any(r => patients.Contains(r.PersonId) || change.RightsChangedFor.Contains(r.PersonId));
            if (concerned)
            {
                await hub.Clients.User(personId).AppointmentsChanged(message);
            }
        }

        Pushed(log, appointmentIds.Count);
    }

    [LoggerMessage(EventId = 5002, Level = LogLevel.Debug, Message = "FHIR: live update pushed for {Count} appointments")]
    private static partial void Pushed(ILogger logger, int count);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Error, Message = "FHIR: the live update after a committed write failed")]
    private static partial void PushFailed(ILogger logger, Exception exception);
}

/// <summary>Who has a hub connection open now (by person id), kept by a hub filter.</summary>
internal sealed class Presence : IHubFilter
{
    private readonly ConcurrentDictionary<string, int> _connections = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Online => (IReadOnlyCollection<string>)_connections.Keys;

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        await next(context);
        if (context.Context.UserIdentifier is { } id)
        {
            _connections.AddOrUpdate(id, 1, (_, n) => n + 1);
        }
    }

    public async Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        if (context.Context.UserIdentifier is { } id)
        {
            var left = _connections.AddOrUpdate(id, 0, (_, n) => n - 1);
            if (left <= 0)
            {
                _connections.TryRemove(new KeyValuePair<string, int>(id, left));
            }
        }

        await next(context, exception);
    }
}

/// <summary>SignalR's user id is the person id (the token's <c>sub</c>, as <see cref="PersonClaims"/> left it).</summary>
internal sealed class PersonUserIdProvider : IUserIdProvider
{
    public string? GetUserId(HubConnectionContext connection) => connection.User.PersonId();
}
