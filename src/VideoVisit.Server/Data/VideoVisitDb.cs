using Microsoft.EntityFrameworkCore;

namespace VideoVisit.Server.Data;

/// <summary>
/// The embedded store (SQLite by default). There is no EF design-time tooling here, so the schema is
/// created in code at start (<see cref="DataInitializer"/>); later schema changes add hand-written SQL there.
/// </summary>
internal sealed class VideoVisitDb(DbContextOptions<VideoVisitDb> options) : DbContext(options)
{
    public DbSet<PersonRow> People => Set<PersonRow>();

    public DbSet<RepresentationRow> Representations => Set<RepresentationRow>();

    public DbSet<AppointmentRow> Appointments => Set<AppointmentRow>();

    public DbSet<VisitRow> Visits => Set<VisitRow>();

    public DbSet<VisitEventRow> VisitEvents => Set<VisitEventRow>();

    public DbSet<ChatRow> Chat => Set<ChatRow>();

    public DbSet<PrecheckRow> Prechecks => Set<PrecheckRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<PersonRow>().HasKey(p => p.Id);
        modelBuilder.Entity<RepresentationRow>().HasIndex(r => new { r.RepresentativeId, r.PersonId }).IsUnique();
        modelBuilder.Entity<AppointmentRow>().HasKey(a => a.Id);
        modelBuilder.Entity<VisitRow>().HasKey(v => v.VisitId);
        modelBuilder.Entity<VisitRow>().HasIndex(v => new { v.AppointmentId, v.AppointmentStartTicks }).IsUnique();
        modelBuilder.Entity<VisitEventRow>().HasIndex(e => e.VisitId);
        modelBuilder.Entity<ChatRow>().HasKey(c => c.MessageId);
        modelBuilder.Entity<ChatRow>().HasIndex(c => new { c.VisitId, c.SenderPersonId, c.ClientMessageId }).IsUnique();
        modelBuilder.Entity<PrecheckRow>().HasIndex(p => p.VisitId);
    }
}

internal sealed class PersonRow
{
    public required string Id { get; set; }

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
}

internal sealed class AppointmentRow
{
    public required string Id { get; set; }

    public DateTimeOffset Start { get; set; }

    public DateTimeOffset End { get; set; }

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
