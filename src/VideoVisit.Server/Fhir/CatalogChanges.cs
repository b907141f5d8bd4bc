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
                    await visits.AppointmentChangedAsync(before, after);
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
        if (!presence.Clustered && online.Count == 0)
        {
            return;
        }

        // What the write touched: the patients and units of the appointments, before and after.
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
        if (presence.Clustered)
        {
            await NotifyAcrossServersAsync(change, patients, units, message);
        }
        else
        {
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
        }

        Pushed(log, appointmentIds.Count);
    }

    /// <summary>
    /// With the Redis backplane the people concerned may be connected to another server, whose
    /// presence this one cannot see. So the same people as above are found from the catalog instead of
    /// from who is online: each is sent to by user id (the patients, those whose rights or details
    /// changed, and those who may act for the patients or for those whose rights changed), and each
    /// unit through its group, which every professional's connection joins (<see cref="Presence"/>).
    /// </summary>
    private async Task NotifyAcrossServersAsync(CatalogChange change, HashSet<string> patients, HashSet<string> units, AppointmentsChangedMessage message)
    {
        var people = new HashSet<string>(patients, StringComparer.Ordinal);
        people.UnionWith(change.RightsChangedFor);
        people.UnionWith(change.PeopleChanged);
        foreach (var subject in patients.Concat(change.RightsChangedFor))
        {
            people.UnionWith(catalog.RepresentationsOf(subject).Select(r => r.RepresentativeId));
        }

        foreach (var personId in people)
        {
            await hub.Clients.User(personId).AppointmentsChanged(message);
        }

        foreach (var unit in units)
        {
            await hub.Clients.Group(Presence.UnitGroup(unit)).AppointmentsChanged(message);
        }
    }

    [LoggerMessage(EventId = 5002, Level = LogLevel.Debug, Message = "FHIR: live update pushed for {Count} appointments")]
    private static partial void Pushed(ILogger logger, int count);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Error, Message = "FHIR: the live update after a committed write failed")]
    private static partial void PushFailed(ILogger logger, Exception exception);
}

/// <summary>
/// Who has a hub connection open on this server now (by person id), kept by a hub filter. With the
/// Redis backplane (<c>ConnectionStrings:Redis</c>) a professional's connection also joins their
/// unit's group, so a change written through any server reaches them.
/// </summary>
internal sealed class Presence(IConfiguration configuration, LiveCatalog catalog) : IHubFilter
{
    private readonly ConcurrentDictionary<string, int> _connections = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Online => (IReadOnlyCollection<string>)_connections.Keys;

    /// <summary>True when the servers share a backplane: presence here is not presence everywhere.</summary>
    public bool Clustered { get; } = !string.IsNullOrEmpty(configuration.GetConnectionString("Redis"));

    public static string UnitGroup(string unitId) => "unit:" + unitId;

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        await next(context);
        if (context.Context.UserIdentifier is { } id)
        {
            _connections.AddOrUpdate(id, 1, (_, n) => n + 1);
            if (Clustered && catalog.FindPerson(id) is { IsProfessional: true, UnitId: { } unit })
            {
                await context.Hub.Groups.AddToGroupAsync(context.Context.ConnectionId, UnitGroup(unit));
            }
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
