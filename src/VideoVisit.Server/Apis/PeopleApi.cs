using VideoVisit.Server.Auth;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Apis;

/// <summary><c>GET /api/me</c> and <c>GET /api/appointments/upcoming</c>.</summary>
internal static class PeopleApi
{
    public static RouteGroupBuilder MapPeopleApi(this RouteGroupBuilder api)
    {
        api.MapGet("/me", (HttpContext http, VisitService visits, ICatalogSource catalog, TimeProvider time) =>
        {
            try
            {
                var me = visits.Me(http.User.PersonId());
                var now = time.GetUtcNow();
                var represents = catalog.Current.RepresentationsBy(me.Id)
                    .Select(r => (Right: r, Person: catalog.Current.FindPerson(r.PersonId)))
                    .Where(x => x.Person is not null)
                    .Select(x => new RepresentedView(
                        x.Person!.Id,
                        x.Person.DisplayName,
                        x.Right.Scope.ToString(),
                        Rights.Grants(x.Right, me, x.Person, Capability.View, now),
                        Rights.Grants(x.Right, me, x.Person, Capability.Act, now)))
                    .ToList();
                var roles = new List<string> { me.IsProfessional ? "professional" : "patient" };
                if (represents.Any(r => r.Scope != nameof(RepresentationScope.Guardian)))
                {
                    roles.Add("representative");
                }

                if (represents.Any(r => r.Scope == nameof(RepresentationScope.Guardian)))
                {
                    roles.Add("guardian");
                }

                return Results.Ok(new MeView(me.Id, me.DisplayName, roles, Unit(catalog.Current, me.UnitId), represents));
            }
            catch (VisitException refused)
            {
                return Problems.From(refused);
            }
        });

        api.MapGet("/appointments/upcoming", (HttpContext http, VisitService visits, ICatalogSource catalog) =>
        {
            try
            {
                var me = visits.Me(http.User.PersonId());
                var c = catalog.Current;
                var list = visits.Upcoming(me.Id).Select(u =>
                {
                    var a = u.Appointment;
                    // Other patients of a group appointment are not shown to patients: only professionals see everyone.
                    var visible = me.IsProfessional
                        ? a.PatientIds
                        : a.PatientIds.Where(id => id == me.Id || id == u.OnBehalfOf).ToList();
                    var professional = c.FindPerson(a.ProfessionalId);
                    return new AppointmentView(
                        a.Id,
                        a.Start,
                        a.End,
                        a.Kind == AppointmentKind.Group ? "group" : "video",
                        a.UnitId,
                        Unit(c, a.UnitId)?.Name ?? a.UnitId,
                        new PersonView(a.ProfessionalId, professional?.DisplayName ?? a.ProfessionalId),
                        visible,
                        visible.Select(id => new PersonView(id, c.FindPerson(id)?.DisplayName ?? id)).ToList(),
                        u.OnBehalfOf,
                        u.CanBegin,
                        u.BeginOpensAt,
                        u.CannotBeginReason,
                        u.VisitState,
                        a.Capacity,
                        a.IsCancelled ? "cancelled" : "booked");
                });
                return Results.Ok(list.ToList());
            }
            catch (VisitException refused)
            {
                return Problems.From(refused);
            }
        });
        return api;
    }

    private static UnitView? Unit(Catalog catalog, string? unitId) =>
        unitId is null ? null : new UnitView(unitId, catalog.UnitName(unitId) ?? unitId);

    internal sealed record MeView(string Id, string DisplayName, IReadOnlyList<string> Roles, UnitView? Unit, IReadOnlyList<RepresentedView> Represents);

    internal sealed record RepresentedView(string PersonId, string DisplayName, string Scope, bool CanView, bool CanAct);

    internal sealed record UnitView(string Id, string Name);

    internal sealed record PersonView(string Id, string DisplayName);

    internal sealed record AppointmentView(
        string Id,
        DateTimeOffset Start,
        DateTimeOffset End,
        string Kind,
        string Unit,
        string UnitName,
        PersonView Professional,
        IReadOnlyList<string> PatientIds,
        IReadOnlyList<PersonView> Patients,
        string? OnBehalfOf,
        bool CanBegin,
        DateTimeOffset BeginOpensAt,
        string? CannotBeginReason,
        string VisitState,
        int Capacity,
        string Status);
}
