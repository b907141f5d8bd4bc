using Microsoft.EntityFrameworkCore;

namespace VideoVisit.Server.Data;

/// <summary>
/// The store (SQLite by default). The catalog (people, units, rights, appointments) is written only
/// through the FHIR API: each FHIR resource is kept as written (<see cref="FhirResourceRow"/>) beside the
/// rows projected from it, which are what the visits query (by person and time window). Times the
/// queries compare are kept as UTC ticks, which every provider orders the same way. The schema comes
/// from EF Core migrations, one set per provider: each provider has its own context type below
/// (<see cref="SqliteVideoVisitDb"/>, <see cref="PostgreSqlVideoVisitDb"/>), because EF ties a set of
/// migrations and its model snapshot to one context type. Everything else uses this base type.
/// </summary>
internal abstract class VideoVisitDb(DbContextOptions options) : DbContext(options)
{
    public DbSet<PersonRow> People => Set<PersonRow>();

    public DbSet<RepresentationRow> Representations => Set<RepresentationRow>();

    public DbSet<AppointmentRow> Appointments => Set<AppointmentRow>();

    public DbSet<AppointmentPatientRow> AppointmentPatients => Set<AppointmentPatientRow>();

    public DbSet<UnitRow> Units => Set<UnitRow>();

    public DbSet<PractitionerRoleRow> PractitionerRoles => Set<PractitionerRoleRow>();

    public DbSet<PersonIdentifierRow> PersonIdentifiers => Set<PersonIdentifierRow>();

    public DbSet<FhirResourceRow> FhirResources => Set<FhirResourceRow>();

    public DbSet<FhirAuditRow> FhirAudit => Set<FhirAuditRow>();

    public DbSet<VisitRow> Visits => Set<VisitRow>();

    public DbSet<VisitEventRow> VisitEvents => Set<VisitEventRow>();

    public DbSet<ChatRow> Chat => Set<ChatRow>();

    public DbSet<PrecheckRow> Prechecks => Set<PrecheckRow>();

    public DbSet<InvitationRow> Invitations => Set<InvitationRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<PersonRow>().HasKey(p => p.Id);
        modelBuilder.Entity<PersonRow>().HasIndex(p => p.UnitId);
        modelBuilder.Entity<RepresentationRow>().HasIndex(r => new { r.RepresentativeId, r.PersonId }).IsUnique();
        modelBuilder.Entity<RepresentationRow>().HasIndex(r => r.PersonId);
        modelBuilder.Entity<AppointmentRow>().HasKey(a => a.Id);
        modelBuilder.Entity<AppointmentRow>().HasIndex(a => new { a.UnitId, a.StartTicks });
        modelBuilder.Entity<AppointmentRow>().HasIndex(a => new { a.ProfessionalId, a.StartTicks });
        modelBuilder.Entity<AppointmentRow>().HasIndex(a => a.StartTicks);
        modelBuilder.Entity<AppointmentPatientRow>().HasKey(a => new { a.AppointmentId, a.PatientId });
        modelBuilder.Entity<AppointmentPatientRow>().HasIndex(a => new { a.PatientId, a.StartTicks });
        modelBuilder.Entity<UnitRow>().HasKey(u => u.Id);
        modelBuilder.Entity<PractitionerRoleRow>().HasKey(r => r.Id);
        modelBuilder.Entity<PractitionerRoleRow>().HasIndex(r => r.PractitionerId);
        modelBuilder.Entity<PersonIdentifierRow>().HasKey(i => new { i.System, i.Value });
        modelBuilder.Entity<PersonIdentifierRow>().HasIndex(i => i.PersonId);
        modelBuilder.Entity<FhirResourceRow>().HasKey(r => new { r.ResourceType, r.Id });
        // Every write makes a new version, so (type, id, version) names one write: no generated key to read back per row.
        modelBuilder.Entity<FhirAuditRow>().HasKey(a => new { a.ResourceType, a.ResourceId, a.VersionId });
        modelBuilder.Entity<VisitRow>().HasKey(v => v.VisitId);
        modelBuilder.Entity<VisitRow>().HasIndex(v => new { v.AppointmentId, v.AppointmentStartTicks }).IsUnique();
        modelBuilder.Entity<VisitEventRow>().HasIndex(e => e.VisitId);
        modelBuilder.Entity<ChatRow>().HasKey(c => c.MessageId);
        modelBuilder.Entity<ChatRow>().HasIndex(c => new { c.VisitId, c.SenderPersonId, c.ClientMessageId }).IsUnique();
        modelBuilder.Entity<PrecheckRow>().HasIndex(p => p.VisitId);
        modelBuilder.Entity<InvitationRow>().HasKey(i => i.Id);
        modelBuilder.Entity<InvitationRow>().HasIndex(i => i.CodeHash).IsUnique();
        modelBuilder.Entity<InvitationRow>().HasIndex(i => i.VisitId);
    }
}

/// <summary>The embedded default's store; its migrations are in <c>Data/Migrations/Sqlite</c>.</summary>
internal sealed class SqliteVideoVisitDb(DbContextOptions<SqliteVideoVisitDb> options) : VideoVisitDb(options);

/// <summary>The PostgreSQL store (<c>Data:Provider=PostgreSql</c>); its migrations are in <c>Data/Migrations/PostgreSql</c>.</summary>
internal sealed class PostgreSqlVideoVisitDb(DbContextOptions<PostgreSqlVideoVisitDb> options) : VideoVisitDb(options)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // timestamptz holds an instant, and Npgsql writes only offset-0 DateTimeOffsets (an appointment's
        // start keeps the offset it was written with in its FHIR resource, not here).
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcDateTimeOffset>();
    }

    private sealed class UtcDateTimeOffset() : Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<DateTimeOffset, DateTimeOffset>(v => v.ToUniversalTime(), v => v);
}

internal sealed class PersonRow
{
    public required string Id { get; set; }

    /// <summary>The FHIR resource type the person was written as: Patient, Practitioner or RelatedPerson.</summary>
    public required string Kind { get; set; }

    public required string DisplayName { get; set; }

    public string? UnitId { get; set; }

    public DateOnly? BirthDate { get; set; }

    public string? NonDisclosureHolderId { get; set; }
}

internal sealed class RepresentationRow
{
    public int Id { get; set; }

    public required string RepresentativeId { get; set; }

    public required string PersonId { get; set; }

    public required string Scope { get; set; }

    public DateTimeOffset? ValidFrom { get; set; }

    public DateTimeOffset? ValidUntil { get; set; }
}

internal sealed class AppointmentRow
{
    public required string Id { get; set; }

    public DateTimeOffset Start { get; set; }

    public DateTimeOffset End { get; set; }

    public long StartTicks { get; set; }

    public long EndTicks { get; set; }

    /// <summary>Booked, Cancelled or EnteredInError (<see cref="VideoVisit.Server.Visits.AppointmentStatus"/>).</summary>
    public required string Status { get; set; }

    public required string Kind { get; set; }

    public required string UnitId { get; set; }

    public required string ProfessionalId { get; set; }

    /// <summary>Comma-separated person ids.</summary>
    public required string PatientIds { get; set; }

    public int Capacity { get; set; }
}

internal sealed class VisitRow
{
    public required string VisitId { get; set; }

    public required string AppointmentId { get; set; }

    /// <summary>The appointment slot's start (UTC ticks): a rescheduled appointment gets a new visit.</summary>
    public long AppointmentStartTicks { get; set; }

    public required string Status { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The seats (JSON) as the visit's last change left them, so any server can resume them.</summary>
    public string? Seats { get; set; }

    /// <summary>The visit's change count at <see cref="Seats"/>: an older write never overwrites a newer one.</summary>
    public long SeatsVersion { get; set; }
}

internal sealed class VisitEventRow
{
    public long Id { get; set; }

    public required string VisitId { get; set; }

    public DateTimeOffset At { get; set; }

    public required string Kind { get; set; }

    public string? ActorId { get; set; }

    public string? OnBehalfOfId { get; set; }

    public string? ParticipantId { get; set; }

    public string? TargetParticipantId { get; set; }

    public string? TargetPersonId { get; set; }

    public string? Detail { get; set; }
}

/// <summary>A guest invitation to one visit; only the SHA-256 of its code is kept.</summary>
internal sealed class InvitationRow
{
    public required string Id { get; set; }

    public required string VisitId { get; set; }

    public required string AppointmentId { get; set; }

    public required string CodeHash { get; set; }

    /// <summary>interpreter or guest.</summary>
    public required string Role { get; set; }

    public string? Label { get; set; }

    public required string CreatedBy { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }
}

internal sealed class ChatRow
{
    public required string MessageId { get; set; }

    public required string VisitId { get; set; }

    public required string ClientMessageId { get; set; }

    public required string SenderPersonId { get; set; }

    public required string FromParticipantId { get; set; }

    public required string FromDisplayName { get; set; }

    public required string Text { get; set; }

    public DateTimeOffset SentAt { get; set; }

    public long SentAtTicks { get; set; }

    public required string Audience { get; set; }

    /// <summary>Person ids who may read it besides the professionals and the sender (see ChatRules), comma-separated.</summary>
    public string? Readers { get; set; }
}

internal sealed class PrecheckRow
{
    public long Id { get; set; }

    public required string VisitId { get; set; }

    public required string ParticipantId { get; set; }

    public required string PersonId { get; set; }

    public required string State { get; set; }

    public required string Summary { get; set; }

    public required string ReportJson { get; set; }

    public DateTimeOffset ReportedAt { get; set; }
}

/// <summary>One patient of an appointment: the index Upcoming events asks by person and time window.</summary>
internal sealed class AppointmentPatientRow
{
    public required string AppointmentId { get; set; }

    public required string PatientId { get; set; }

    public long StartTicks { get; set; }

    public long EndTicks { get; set; }
}

/// <summary>A unit: a FHIR Organization.</summary>
internal sealed class UnitRow
{
    public required string Id { get; set; }

    public required string Name { get; set; }
}

/// <summary>A FHIR PractitionerRole: the professional's unit.</summary>
internal sealed class PractitionerRoleRow
{
    public required string Id { get; set; }

    public required string PractitionerId { get; set; }

    public required string OrganizationId { get; set; }

    public bool Active { get; set; }

    public long UpdatedTicks { get; set; }
}

/// <summary>A person's identifier (e.g. a national identity number) for signing in by <c>Auth:PersonIdentifierSystem</c>.</summary>
internal sealed class PersonIdentifierRow
{
    public required string System { get; set; }

    public required string Value { get; set; }

    public required string PersonId { get; set; }
}

/// <summary>The current version of a FHIR resource, as written (with its meta).</summary>
internal sealed class FhirResourceRow
{
    public required string ResourceType { get; set; }

    public required string Id { get; set; }

    public int VersionId { get; set; }

    public DateTimeOffset LastUpdated { get; set; }

    public required string Json { get; set; }
}

/// <summary>The audit trail of FHIR writes: which client wrote what.</summary>
internal sealed class FhirAuditRow
{
    public long AtTicks { get; set; }

    public required string ClientId { get; set; }

    /// <summary>create or update.</summary>
    public required string Interaction { get; set; }

    public required string ResourceType { get; set; }

    public required string ResourceId { get; set; }

    public int VersionId { get; set; }
}
