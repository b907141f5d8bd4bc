using System.Globalization;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using VideoVisit.Server.Data;
using VideoVisit.Server.Visits;
using Task = System.Threading.Tasks.Task;
using DomainAppointment = VideoVisit.Server.Visits.Appointment;
using FhirAppointment = Hl7.Fhir.Model.Appointment;

namespace VideoVisit.Server.Fhir;

/// <summary>One create or update: from <c>PUT /fhir/{type}/{id}</c>, <c>POST /fhir/{type}</c> or a transaction entry.</summary>
internal sealed record FhirWrite(Resource Resource, bool IsCreate, string ResourceType, string? Id, string? IfMatch, string? FullUrl = null);

/// <summary>What a write made: the resource's id, its new version and whether it is new.</summary>
internal sealed record FhirWriteResult(string ResourceType, string Id, int VersionId, DateTimeOffset LastUpdated, bool Created, string Json);

/// <summary>What a committed write changed, for the live effects (<see cref="CatalogChanges"/>).</summary>
internal sealed record CatalogChange(
    IReadOnlyList<(DomainAppointment? Before, DomainAppointment After)> Appointments,
    IReadOnlySet<string> RightsChangedFor,
    IReadOnlySet<string> PeopleChanged);

/// <summary>
/// Applies FHIR writes all-or-nothing: every entry is checked, its projection (people, units, rights,
/// appointments) and the resource itself are written in one database transaction, and the audit
/// trail gets a line per write with the client's id. Writes are one at a time (a version check and
/// its update cannot interleave with another writer's); a batch costs a few queries per resource type,
/// not per resource.
/// </summary>
internal sealed partial class FhirWriter(
    IDbContextFactory<VideoVisitDb> contexts,
    LiveCatalog catalog,
    CatalogChanges changes,
    IOptions<VisitOptions> visitOptions,
    TimeProvider time,
    ILogger<FhirWriter> log) : IDisposable
{
    private static readonly Regex IdFormat = MyIdFormat();
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<IReadOnlyList<FhirWriteResult>> WriteAsync(IReadOnlyList<FhirWrite> writes, string clientId, CancellationToken cancellationToken)
    {
        var prepared = Prepare(writes);
        FhirWriteResult[] results;
        CatalogChange change;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var batch = new Batch(db, time.GetUtcNow(), visitOptions.Value);
            var output = new FhirWriteResult[prepared.Count];
            foreach (var phase in prepared.GroupBy(p => p.Write.ResourceType).OrderBy(g => FhirConstants.Order(g.Key)))
            {
                var entries = phase.ToList();
                await CheckVersionsAsync(batch, phase.Key, entries, cancellationToken);
                await ProjectAsync(batch, phase.Key, entries, cancellationToken);
                foreach (var entry in entries)
                {
                    output[entry.Index] = Store(batch, entry, clientId);
                }

                await batch.FlushAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            results = output;
            change = new CatalogChange(batch.AppointmentChanges, batch.RightsChanged, batch.PeopleChanged);
            catalog.Forget(
                batch.PeopleChanged.Concat(batch.RightsChanged),
                batch.AppointmentChanges.Select(a => a.After.Id),
                batch.UnitsChanged);
        }
        finally
        {
            _gate.Release();
        }

        Written(log, results.Length, clientId);
        await changes.PublishAsync(change);
        return results;
    }

    /// <summary>Checks what needs no database: types, ids, and the ids a POST gets (with urn:uuid references rewritten).</summary>
    public void Dispose() => _gate.Dispose();

    private static List<Entry> Prepare(IReadOnlyList<FhirWrite> writes)
    {
        var entries = new List<Entry>(writes.Count);
        var seen = new HashSet<(string, string)>();
        var assigned = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < writes.Count; i++)
        {
            var write = writes[i];
            try
            {
                if (FhirConstants.Order(write.ResourceType) < 0)
                {
                    throw new FhirException(StatusCodes.Status400BadRequest, OperationOutcome.IssueType.NotSupported, $"Resource type {write.ResourceType} is not supported here (supported: {string.Join(", ", FhirConstants.Types)}).");
                }

                if (write.Resource.TypeName != write.ResourceType)
                {
                    throw FhirException.Invalid($"The body is a {write.Resource.TypeName}, but the URL is for {write.ResourceType}.");
                }

                string id;
                if (write.IsCreate)
                {
                    id = Guid.NewGuid().ToString("N");
                    write.Resource.Id = id;
                    if (write.FullUrl is { } fullUrl && fullUrl.StartsWith("urn:uuid:", StringComparison.Ordinal))
                    {
                        assigned[fullUrl] = write.ResourceType + "/" + id;
                    }
                }
                else
                {
                    id = write.Id ?? throw FhirException.Invalid("An update needs the id in the URL: PUT /fhir/" + write.ResourceType + "/{id}.");
                    if (!IdFormat.IsMatch(id))
                    {
                        throw FhirException.Invalid($"'{id}' is not a FHIR id (1-64 of A-Z, a-z, 0-9, '-' and '.').");
                    }

                    if (write.Resource.Id is null)
                    {
                        throw FhirException.Invalid($"The resource has no id; an update must carry the URL's id ({id}) in its body.");
                    }

                    if (write.Resource.Id != id)
                    {
                        throw FhirException.Invalid($"The id in the body ({write.Resource.Id}) is not the id in the URL ({id}).");
                    }
                }

                if (!seen.Add((write.ResourceType, id)))
                {
                    throw FhirException.Invalid($"{write.ResourceType}/{id} appears twice in the transaction.");
                }

                entries.Add(new Entry(i, writes.Count > 1, write, id));
            }
            catch (FhirException refused) when (writes.Count > 1)
            {
                throw refused.InEntry(i);
            }
        }

        if (assigned.Count > 0)
        {
            foreach (var entry in entries)
            {
                foreach (var reference in References(entry.Write.Resource))
                {
                    if (reference.Reference is { } target && assigned.TryGetValue(target, out var local))
                    {
                        reference.Reference = local;
                    }
                }
            }
        }

        return entries;
    }

    private static IEnumerable<ResourceReference> References(Base node)
    {
        foreach (var (_, value) in node.EnumerateElements())
        {
            var children = value switch
            {
                Base one => [one],
                IEnumerable<Base> many => many,
                _ => [],
            };
            foreach (var child in children)
            {
                if (child is ResourceReference reference)
                {
                    yield return reference;
                }

                foreach (var nested in References(child))
                {
                    yield return nested;
                }
            }
        }
    }

    private static async Task CheckVersionsAsync(Batch batch, string type, List<Entry> entries, CancellationToken cancellationToken)
    {
        var ids = entries.Select(e => e.Id).ToList();
        var existing = await batch.Db.FhirResources.Where(r => r.ResourceType == type && ids.Contains(r.Id)).ToDictionaryAsync(r => r.Id, StringComparer.Ordinal, cancellationToken);
        foreach (var entry in entries)
        {
            existing.TryGetValue(entry.Id, out var row);
            entry.Existing = row;
            if (entry.Write.IfMatch is { } ifMatch)
            {
                var wanted = ParseETag(ifMatch);
                if (row is null || wanted != row.VersionId)
                {
                    throw entry.Refuse(new FhirException(
                        StatusCodes.Status412PreconditionFailed,
                        OperationOutcome.IssueType.Conflict,
                        row is null
                            ? $"If-Match {ifMatch}: {type}/{entry.Id} does not exist."
                            : $"If-Match {ifMatch}: {type}/{entry.Id} is at version {row.VersionId.ToString(CultureInfo.InvariantCulture)}; read it again and retry."));
                }
            }
        }
    }

    /// <summary>The version in an ETag (<c>W/"3"</c>, <c>"3"</c> or <c>3</c>), or -1 when it is none.</summary>
    public static int ParseETag(string etag)
    {
        var value = etag.Trim();
        if (value.StartsWith("W/", StringComparison.Ordinal))
        {
            value = value[2..];
        }

        value = value.Trim('"');
        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : -1;
    }

    private static FhirWriteResult Store(Batch batch, Entry entry, string clientId)
    {
        var resource = entry.Write.Resource;
        var version = (entry.Existing?.VersionId ?? 0) + 1;
        resource.Meta ??= new Meta();
        resource.Meta.VersionId = version.ToString(CultureInfo.InvariantCulture);
        resource.Meta.LastUpdated = batch.Now;
        var json = FhirJson.Serialize(resource);
        if (entry.Existing is { } row)
        {
            row.VersionId = version;
            row.LastUpdated = batch.Now;
            row.Json = json;
            batch.Db.FhirResources.Update(row);
        }
        else
        {
            batch.Inserts.Add(new FhirResourceRow { ResourceType = entry.Write.ResourceType, Id = entry.Id, VersionId = version, LastUpdated = batch.Now, Json = json });
        }

        batch.Inserts.Add(new FhirAuditRow
        {
            AtTicks = batch.Now.UtcTicks,
            ClientId = clientId,
            Interaction = entry.Existing is null ? "create" : "update",
            ResourceType = entry.Write.ResourceType,
            ResourceId = entry.Id,
            VersionId = version,
        });
        return new FhirWriteResult(entry.Write.ResourceType, entry.Id, version, batch.Now, entry.Existing is null, json);
    }

    private static Task ProjectAsync(Batch batch, string type, List<Entry> entries, CancellationToken cancellationToken) => type switch
    {
        "Organization" => ProjectOrganizationsAsync(batch, entries, cancellationToken),
        "Patient" or "Practitioner" or "RelatedPerson" => ProjectPeopleAsync(batch, type, entries, cancellationToken),
        "PractitionerRole" => ProjectRolesAsync(batch, entries, cancellationToken),
        _ => ProjectAppointmentsAsync(batch, entries, cancellationToken),
    };

    private static async Task ProjectOrganizationsAsync(Batch batch, List<Entry> entries, CancellationToken cancellationToken)
    {
        var ids = entries.Select(e => e.Id).ToList();
        var units = await batch.Db.Units.Where(u => ids.Contains(u.Id)).ToDictionaryAsync(u => u.Id, StringComparer.Ordinal, cancellationToken);
        foreach (var entry in entries)
        {
            var organization = (Organization)entry.Write.Resource;
            var name = string.IsNullOrWhiteSpace(organization.Name) ? entry.Id : organization.Name.Trim();
            if (units.TryGetValue(entry.Id, out var unit))
            {
                unit.Name = name;
                batch.Db.Units.Update(unit);
            }
            else
            {
                batch.Inserts.Add(new UnitRow { Id = entry.Id, Name = name });
            }

            batch.UnitsChanged.Add(entry.Id);
        }
    }

    private static async Task ProjectPeopleAsync(Batch batch, string type, List<Entry> entries, CancellationToken cancellationToken)
    {
        var db = batch.Db;
        var ids = entries.Select(e => e.Id).ToList();
        var people = await db.People.Where(p => ids.Contains(p.Id)).ToDictionaryAsync(p => p.Id, StringComparer.Ordinal, cancellationToken);
        var oldIdentifiers = await db.PersonIdentifiers.Where(i => ids.Contains(i.PersonId)).ToListAsync(cancellationToken);
        db.PersonIdentifiers.RemoveRange(oldIdentifiers);

        // Identifiers (e.g. national identity numbers) name one person each.
        var identifiers = new Dictionary<(string System, string Value), string>();
        foreach (var entry in entries)
        {
            foreach (var identifier in IdentifiersOf(entry.Write.Resource))
            {
                if (identifiers.TryGetValue(identifier, out var other) && other != entry.Id)
                {
                    throw entry.Refuse(FhirException.Unprocessable($"Identifier {identifier.System}|{identifier.Value} is given to both {other} and {entry.Id}.", OperationOutcome.IssueType.Duplicate));
                }

                identifiers[identifier] = entry.Id;
            }
        }

        if (identifiers.Count > 0)
        {
            var values = identifiers.Keys.Select(k => k.Value).Distinct(StringComparer.Ordinal).ToList();
            var taken = await db.PersonIdentifiers.AsNoTracking().Where(i => values.Contains(i.Value)).ToListAsync(cancellationToken);
            foreach (var row in taken)
            {
                if (identifiers.TryGetValue((row.System, row.Value), out var owner) && owner != row.PersonId && !ids.Contains(row.PersonId))
                {
                    var entry = entries.First(e => e.Id == owner);
                    throw entry.Refuse(FhirException.Unprocessable($"Identifier {row.System}|{row.Value} already belongs to another person ({row.PersonId}).", OperationOutcome.IssueType.Duplicate));
                }
            }

            foreach (var identifier in identifiers)
            {
                batch.Inserts.Add(new PersonIdentifierRow { System = identifier.Key.System, Value = identifier.Key.Value, PersonId = identifier.Value });
            }
        }

        Dictionary<string, string> patients = [];
        List<RepresentationRow> oldRights = [];
        if (type == "RelatedPerson")
        {
            var whom = entries.Select(e => Target(e, ((RelatedPerson)e.Write.Resource).Patient, "RelatedPerson.patient", "Patient")).Distinct(StringComparer.Ordinal).ToList();
            patients = await db.People.AsNoTracking().Where(p => whom.Contains(p.Id)).ToDictionaryAsync(p => p.Id, p => p.Kind, StringComparer.Ordinal, cancellationToken);
            oldRights = await db.Representations.Where(r => ids.Contains(r.RepresentativeId)).ToListAsync(cancellationToken);
            db.Representations.RemoveRange(oldRights);
            foreach (var right in oldRights)
            {
                batch.RightsChanged.Add(right.PersonId);
            }
        }

        foreach (var entry in entries)
        {
            if (entry.Write.Resource is RelatedPerson self && Target(entry, self.Patient, "RelatedPerson.patient", "Patient") == entry.Id)
            {
                throw entry.Refuse(FhirException.Unprocessable($"RelatedPerson/{entry.Id} points at itself: RelatedPerson.patient is Patient/{entry.Id}, the same person (people's ids are shared by Patient, Practitioner and RelatedPerson)."));
            }

            people.TryGetValue(entry.Id, out var row);
            if (row is not null && row.Kind != type)
            {
                throw entry.Refuse(FhirException.Unprocessable($"{type}/{entry.Id}: the id {entry.Id} is already a {row.Kind}; people's ids are shared by Patient, Practitioner and RelatedPerson, because a token's sub names one person.", OperationOutcome.IssueType.Conflict));
            }

            var person = row ?? new PersonRow { Id = entry.Id, Kind = type, DisplayName = entry.Id };
            switch (entry.Write.Resource)
            {
                case Patient patient:
                    person.DisplayName = DisplayName(patient.Name, entry.Id);
                    person.BirthDate = BirthDate(entry, patient.BirthDate);
                    var previousHolder = person.NonDisclosureHolderId;
                    person.NonDisclosureHolderId = NonDisclosureHolder(entry, patient);
                    if (previousHolder != person.NonDisclosureHolderId)
                    {
                        // Every guardian's right over this child changes with the marking.
                        batch.RightsChanged.Add(entry.Id);
                        foreach (var guardian in await db.Representations.AsNoTracking().Where(r => r.PersonId == entry.Id).Select(r => r.RepresentativeId).ToListAsync(cancellationToken))
                        {
                            batch.RightsChanged.Add(guardian);
                        }
                    }

                    break;
                case Practitioner practitioner:
                    person.DisplayName = DisplayName(practitioner.Name, entry.Id);
                    break;
                case RelatedPerson related:
                    person.DisplayName = DisplayName(related.Name, entry.Id);
                    var whom = Target(entry, related.Patient, "RelatedPerson.patient", "Patient");
                    if (!patients.TryGetValue(whom, out var kind) || kind != "Patient")
                    {
                        throw entry.Refuse(FhirException.Unprocessable($"RelatedPerson.patient: Patient/{whom} does not exist" + (kind is null ? "." : $" ({whom} is a {kind})."), OperationOutcome.IssueType.NotFound));
                    }

                    var scope = Scope(entry, related);
                    var (from, until) = Validity(entry, related.Period);
                    if (related.Active != false)
                    {
                        db.Representations.Add(new RepresentationRow { RepresentativeId = entry.Id, PersonId = whom, Scope = scope.ToString(), ValidFrom = from, ValidUntil = until });
                    }

                    batch.RightsChanged.Add(entry.Id);
                    batch.RightsChanged.Add(whom);
                    break;
            }

            if (row is null)
            {
                batch.Inserts.Add(person);
            }
            else
            {
                db.People.Update(person);
            }

            batch.PeopleChanged.Add(entry.Id);
        }
    }

    private static async Task ProjectRolesAsync(Batch batch, List<Entry> entries, CancellationToken cancellationToken)
    {
        var db = batch.Db;
        var ids = entries.Select(e => e.Id).ToList();
        var roles = await db.PractitionerRoles.Where(r => ids.Contains(r.Id)).ToDictionaryAsync(r => r.Id, StringComparer.Ordinal, cancellationToken);
        var targets = new Dictionary<string, (string Practitioner, string Organization)>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var role = (PractitionerRole)entry.Write.Resource;
            targets[entry.Id] = (
                Target(entry, role.Practitioner, "PractitionerRole.practitioner", "Practitioner"),
                Target(entry, role.Organization, "PractitionerRole.organization", "Organization"));
        }

        var practitionerIds = targets.Values.Select(t => t.Practitioner).Distinct(StringComparer.Ordinal).ToList();
        var organizationIds = targets.Values.Select(t => t.Organization).Distinct(StringComparer.Ordinal).ToList();
        var practitioners = await db.People.Where(p => practitionerIds.Contains(p.Id)).ToDictionaryAsync(p => p.Id, StringComparer.Ordinal, cancellationToken);
        var organizations = await db.Units.AsNoTracking().Where(u => organizationIds.Contains(u.Id)).Select(u => u.Id).ToListAsync(cancellationToken);
        var affected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var (practitionerId, organizationId) = targets[entry.Id];
            if (!practitioners.TryGetValue(practitionerId, out var practitioner) || practitioner.Kind != "Practitioner")
            {
                throw entry.Refuse(FhirException.Unprocessable($"PractitionerRole.practitioner: Practitioner/{practitionerId} does not exist" + (practitioner is null ? "." : $" ({practitionerId} is a {practitioner.Kind})."), OperationOutcome.IssueType.NotFound));
            }

            if (!organizations.Contains(organizationId))
            {
                throw entry.Refuse(FhirException.Unprocessable($"PractitionerRole.organization: Organization/{organizationId} does not exist.", OperationOutcome.IssueType.NotFound));
            }

            var active = ((PractitionerRole)entry.Write.Resource).Active != false;
            if (roles.TryGetValue(entry.Id, out var row))
            {
                affected.Add(row.PractitionerId);
                row.PractitionerId = practitionerId;
                row.OrganizationId = organizationId;
                row.Active = active;
                row.UpdatedTicks = batch.Now.UtcTicks;
                db.PractitionerRoles.Update(row);
            }
            else
            {
                batch.Inserts.Add(new PractitionerRoleRow { Id = entry.Id, PractitionerId = practitionerId, OrganizationId = organizationId, Active = active, UpdatedTicks = batch.Now.UtcTicks });
            }

            affected.Add(practitionerId);
        }

        await batch.FlushAsync(cancellationToken);

        // The professional's unit: the organization of their most recently written active role.
        var affectedIds = affected.ToList();
        var current = (await db.PractitionerRoles.AsNoTracking().Where(r => affectedIds.Contains(r.PractitionerId) && r.Active).ToListAsync(cancellationToken))
            .GroupBy(r => r.PractitionerId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderByDescending(r => r.UpdatedTicks).First().OrganizationId, StringComparer.Ordinal);
        var rows = await db.People.Where(p => affectedIds.Contains(p.Id)).ToListAsync(cancellationToken);
        foreach (var person in rows)
        {
            person.UnitId = current.GetValueOrDefault(person.Id);
            db.People.Update(person);
            batch.PeopleChanged.Add(person.Id);
        }
    }

    private static async Task ProjectAppointmentsAsync(Batch batch, List<Entry> entries, CancellationToken cancellationToken)
    {
        var db = batch.Db;
        var ids = entries.Select(e => e.Id).ToList();
        var rows = await db.Appointments.Where(a => ids.Contains(a.Id)).ToDictionaryAsync(a => a.Id, StringComparer.Ordinal, cancellationToken);
        var oldPatients = await db.AppointmentPatients.Where(p => ids.Contains(p.AppointmentId)).ToListAsync(cancellationToken);
        db.AppointmentPatients.RemoveRange(oldPatients);

        // Every participant reference, resolved with one query for people and one for roles.
        var actors = entries.ToDictionary(e => e.Id, e => Actors(e), StringComparer.Ordinal);
        var personIds = actors.Values.SelectMany(a => a).Where(a => a.Type is "Patient" or "Practitioner").Select(a => a.Id).Distinct(StringComparer.Ordinal).ToList();
        var roleIds = actors.Values.SelectMany(a => a).Where(a => a.Type == "PractitionerRole").Select(a => a.Id).Distinct(StringComparer.Ordinal).ToList();
        var people = await db.People.AsNoTracking().Where(p => personIds.Contains(p.Id)).ToDictionaryAsync(p => p.Id, p => (p.Kind, p.UnitId), StringComparer.Ordinal, cancellationToken);
        var roles = roleIds.Count == 0 ? [] : await db.PractitionerRoles.AsNoTracking().Where(r => roleIds.Contains(r.Id)).ToDictionaryAsync(r => r.Id, StringComparer.Ordinal, cancellationToken);

        foreach (var entry in entries)
        {
            var appointment = (FhirAppointment)entry.Write.Resource;
            if (appointment.Start is not { } start || appointment.End is not { } end)
            {
                throw entry.Refuse(FhirException.Unprocessable("Appointment.start and Appointment.end are required: a video visit needs its time.", OperationOutcome.IssueType.Required));
            }

            if (end <= start)
            {
                throw entry.Refuse(FhirException.Unprocessable($"Appointment.end ({end:o}) is not after Appointment.start ({start:o}).", OperationOutcome.IssueType.Invariant));
            }

            if (end - start > AppointmentRules.MaximumLength)
            {
                throw entry.Refuse(FhirException.Unprocessable($"An appointment lasts at most {AppointmentRules.MaximumLength.TotalHours.ToString(CultureInfo.InvariantCulture)} hours here."));
            }

            string? professional = null;
            string? unit = null;
            var patientIds = new List<string>();
            foreach (var actor in actors[entry.Id])
            {
                switch (actor.Type)
                {
                    case "Patient":
                        if (!people.TryGetValue(actor.Id, out var p) || p.Kind != "Patient")
                        {
                            throw entry.Refuse(FhirException.Unprocessable($"Appointment.participant: Patient/{actor.Id} does not exist" + (p.Kind is null ? "." : $" ({actor.Id} is a {p.Kind})."), OperationOutcome.IssueType.NotFound));
                        }

                        if (!actor.Declined && !patientIds.Contains(actor.Id))
                        {
                            patientIds.Add(actor.Id);
                        }

                        break;
                    case "Practitioner":
                        if (!people.TryGetValue(actor.Id, out var pr) || pr.Kind != "Practitioner")
                        {
                            throw entry.Refuse(FhirException.Unprocessable($"Appointment.participant: Practitioner/{actor.Id} does not exist" + (pr.Kind is null ? "." : $" ({actor.Id} is a {pr.Kind})."), OperationOutcome.IssueType.NotFound));
                        }

                        if (professional is null)
                        {
                            professional = actor.Id;
                            unit = pr.UnitId ?? throw entry.Refuse(FhirException.Unprocessable($"Practitioner/{actor.Id} has no active PractitionerRole with an organization, so the appointment's unit is unknown. Write the PractitionerRole first."));
                        }

                        break;
                    case "PractitionerRole":
                        if (!roles.TryGetValue(actor.Id, out var role))
                        {
                            throw entry.Refuse(FhirException.Unprocessable($"Appointment.participant: PractitionerRole/{actor.Id} does not exist.", OperationOutcome.IssueType.NotFound));
                        }

                        if (professional is null)
                        {
                            professional = role.PractitionerId;
                            unit = role.OrganizationId;
                        }

                        break;
                }
            }

            if (professional is null)
            {
                throw entry.Refuse(FhirException.Unprocessable("The appointment has no Practitioner participant: a video visit needs its professional (Practitioner or PractitionerRole).", OperationOutcome.IssueType.Required));
            }

            if (patientIds.Count == 0)
            {
                throw entry.Refuse(FhirException.Unprocessable("The appointment has no Patient participant (who has not declined).", OperationOutcome.IssueType.Required));
            }

            var kind = patientIds.Count > 1 ? AppointmentKind.Group : AppointmentKind.Video;
            var capacity = Capacity(entry, appointment) ?? AppointmentRules.DefaultCapacity(kind, patientIds.Count, batch.Options);
            var status = appointment.Status switch
            {
                FhirAppointment.AppointmentStatus.Cancelled or FhirAppointment.AppointmentStatus.Noshow => AppointmentStatus.Cancelled,
                FhirAppointment.AppointmentStatus.EnteredInError => AppointmentStatus.EnteredInError,
                _ => AppointmentStatus.Booked,
            };

            rows.TryGetValue(entry.Id, out var row);
            var before = row is null ? null : LiveCatalog.ToAppointment(row);
            var isNew = row is null;
            row ??= new AppointmentRow { Id = entry.Id, Status = "", Kind = "", UnitId = unit!, ProfessionalId = professional, PatientIds = "" };
            row.Start = start;
            row.End = end;
            row.StartTicks = start.UtcTicks;
            row.EndTicks = end.UtcTicks;
            row.Status = status.ToString();
            row.Kind = kind.ToString();
            row.UnitId = unit!;
            row.ProfessionalId = professional;
            row.PatientIds = string.Join(',', patientIds);
            row.Capacity = capacity;
            if (isNew)
            {
                batch.Inserts.Add(row);
            }
            else
            {
                db.Appointments.Update(row);
            }

            if (status != AppointmentStatus.EnteredInError)
            {
                foreach (var id in patientIds)
                {
                    batch.Inserts.Add(new AppointmentPatientRow { AppointmentId = entry.Id, PatientId = id, StartTicks = row.StartTicks, EndTicks = row.EndTicks });
                }
            }

            batch.AppointmentChanges.Add((before, LiveCatalog.ToAppointment(row)));
        }
    }

    private static List<Actor> Actors(Entry entry)
    {
        var list = new List<Actor>();
        var appointment = (FhirAppointment)entry.Write.Resource;
        for (var i = 0; i < appointment.Participant.Count; i++)
        {
            var participant = appointment.Participant[i];
            if (participant.Actor?.Reference is not { } reference)
            {
                continue;
            }

            var (type, id) = SplitReference(entry, reference, $"Appointment.participant[{i}].actor");
            switch (type)
            {
                case "Patient" or "Practitioner" or "PractitionerRole":
                    list.Add(new Actor(type, id, participant.Status == ParticipationStatus.Declined));
                    break;
                case "RelatedPerson" or "Location" or "HealthcareService" or "Device":
                    // Valid participants this service does not use.
                    break;
                default:
                    throw entry.Refuse(FhirException.Unprocessable($"Appointment.participant[{i}].actor is {reference}: an appointment's participant is a Patient, Practitioner, PractitionerRole, RelatedPerson, Location, HealthcareService or Device, not a {type}.", OperationOutcome.IssueType.Value));
            }
        }

        return list;
    }

    private static (string Type, string Id) SplitReference(Entry entry, string reference, string path)
    {
        var parts = reference.Split('/');
        if (parts.Length != 2 || parts[0].Length == 0 || !IdFormat.IsMatch(parts[1]))
        {
            throw entry.Refuse(FhirException.Unprocessable($"{path}: '{reference}' is not a reference this server resolves (use the relative form Type/id).", OperationOutcome.IssueType.Value));
        }

        return (parts[0], parts[1]);
    }

    /// <summary>The id a reference points at, which must be of <paramref name="type"/>.</summary>
    private static string Target(Entry entry, ResourceReference? reference, string path, string type)
    {
        if (reference?.Reference is not { } value)
        {
            throw entry.Refuse(FhirException.Unprocessable($"{path} is required (a reference to a {type}).", OperationOutcome.IssueType.Required));
        }

        var (actual, id) = SplitReference(entry, value, path);
        if (actual != type)
        {
            throw entry.Refuse(FhirException.Unprocessable($"{path} is {value}: it must be a {type}.", OperationOutcome.IssueType.Value));
        }

        return id;
    }

    private static IEnumerable<(string System, string Value)> IdentifiersOf(Resource resource)
    {
        var identifiers = resource switch
        {
            Patient p => p.Identifier,
            Practitioner p => p.Identifier,
            RelatedPerson p => p.Identifier,
            _ => [],
        };
        return identifiers.Where(i => !string.IsNullOrEmpty(i.System) && !string.IsNullOrEmpty(i.Value)).Select(i => (i.System!, i.Value!)).Distinct();
    }

    private static string DisplayName(List<HumanName> names, string fallback)
    {
        var name = names.FirstOrDefault(n => n.Use == HumanName.NameUse.Official) ?? names.FirstOrDefault();
        if (name is null)
        {
            return fallback;
        }

        if (!string.IsNullOrWhiteSpace(name.Text))
        {
            return name.Text.Trim();
        }

        var parts = (name.Prefix ?? []).Concat(name.Given ?? []).Append(name.Family).Where(s => !string.IsNullOrWhiteSpace(s));
        var text = string.Join(' ', parts).Trim();
        return text.Length == 0 ? fallback : text;
    }

    private static DateOnly? BirthDate(Entry entry, string? birthDate)
    {
        if (string.IsNullOrEmpty(birthDate))
        {
            return null;
        }

        // A FHIR date may be a year or a year and month; the earliest day it allows is used.
        string[] formats = ["yyyy-MM-dd", "yyyy-MM", "yyyy"];
        return DateOnly.TryParseExact(birthDate, formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date
            : throw entry.Refuse(FhirException.Invalid($"Patient.birthDate '{birthDate}' is not a date."));
    }

    private static string? NonDisclosureHolder(Entry entry, Patient patient)
    {
        var extension = patient.GetExtension(FhirConstants.NonDisclosureExtension);
        if (extension is null)
        {
            return null;
        }

        if (extension.Value is not ResourceReference reference)
        {
            throw entry.Refuse(FhirException.Unprocessable($"The non-disclosure marking ({FhirConstants.NonDisclosureExtension}) takes a valueReference to the RelatedPerson who holds it.", OperationOutcome.IssueType.Value));
        }

        return Target(entry, reference, "Patient.extension(non-disclosure-holder)", "RelatedPerson");
    }

    private static RepresentationScope Scope(Entry entry, RelatedPerson related)
    {
        var codes = related.Relationship.SelectMany(r => r.Coding).Where(c => c.System == FhirConstants.ScopeSystem).Select(c => c.Code).ToList();
        if (codes.Count != 1)
        {
            throw entry.Refuse(FhirException.Unprocessable($"RelatedPerson.relationship needs exactly one coding from {FhirConstants.ScopeSystem} (full, appointments-and-messages, read-only or guardian); found {codes.Count.ToString(CultureInfo.InvariantCulture)}.", OperationOutcome.IssueType.Required));
        }

        return codes[0] switch
        {
            "full" => RepresentationScope.Full,
            "appointments-and-messages" => RepresentationScope.AppointmentsAndMessages,
            "read-only" => RepresentationScope.ReadOnly,
            "guardian" => RepresentationScope.Guardian,
            var other => throw entry.Refuse(FhirException.Unprocessable($"RelatedPerson.relationship: '{other}' is not a scope of {FhirConstants.ScopeSystem} (full, appointments-and-messages, read-only, guardian).", OperationOutcome.IssueType.CodeInvalid)),
        };
    }

    private static (DateTimeOffset? From, DateTimeOffset? Until) Validity(Entry entry, Period? period)
    {
        if (period is null)
        {
            return (null, null);
        }

        var from = period.StartElement?.ToDateTimeOffset(TimeSpan.Zero);
        var until = period.EndElement?.ToDateTimeOffset(TimeSpan.Zero);
        if (from is { } f && until is { } u && u < f)
        {
            throw entry.Refuse(FhirException.Unprocessable("RelatedPerson.period.end is before its start.", OperationOutcome.IssueType.Invariant));
        }

        return (from, until);
    }

    private static int? Capacity(Entry entry, FhirAppointment appointment)
    {
        var extension = appointment.GetExtension(FhirConstants.CapacityExtension);
        if (extension is null)
        {
            return null;
        }

        return extension.Value is PositiveInt { Value: >= 1 and <= 16 } seats
            ? seats.Value
            : throw entry.Refuse(FhirException.Unprocessable($"{FhirConstants.CapacityExtension} takes a valuePositiveInt from 1 to 16.", OperationOutcome.IssueType.Value));
    }

    [GeneratedRegex("^[A-Za-z0-9\\-\\.]{1,64}$")]
    private static partial Regex MyIdFormat();

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "FHIR: {Count} resources written by client {ClientId}")]
    private static partial void Written(ILogger logger, int count, string clientId);

    private sealed record Actor(string Type, string Id, bool Declined);

    private sealed class Entry(int index, bool inBundle, FhirWrite write, string id)
    {
        public int Index { get; } = index;

        public FhirWrite Write { get; } = write;

        public string Id { get; } = id;

        public FhirResourceRow? Existing { get; set; }

        public FhirException Refuse(FhirException refused) => inBundle ? refused.InEntry(Index) : refused;
    }

    private sealed class Batch(VideoVisitDb db, DateTimeOffset now, VisitOptions options)
    {
        public VideoVisitDb Db { get; } = db;

        public DateTimeOffset Now { get; } = now;

        public VisitOptions Options { get; } = options;

        /// <summary>New rows, inserted after EF has saved this phase's deletes and updates (an update may remove and re-add a key).</summary>
        public BulkInsert Inserts { get; } = new();

        public async Task FlushAsync(CancellationToken cancellationToken)
        {
            Db.ChangeTracker.DetectChanges();
            await Db.SaveChangesAsync(cancellationToken);
            await Inserts.FlushAsync(Db, cancellationToken);
        }

        public List<(DomainAppointment? Before, DomainAppointment After)> AppointmentChanges { get; } = [];

        public HashSet<string> RightsChanged { get; } = new(StringComparer.Ordinal);

        public HashSet<string> PeopleChanged { get; } = new(StringComparer.Ordinal);

        public HashSet<string> UnitsChanged { get; } = new(StringComparer.Ordinal);
    }
}
