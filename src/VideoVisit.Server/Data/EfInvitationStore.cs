using Microsoft.EntityFrameworkCore;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Data;

/// <summary>
/// Invitations, written at once (not through the visit store's queue): a link the professional has
/// just been shown must work the moment the guest opens it, and a revocation must hold at once.
/// </summary>
internal sealed class EfInvitationStore(IDbContextFactory<VideoVisitDb> contexts) : IInvitationStore
{
    public async Task AddAsync(Invitation invitation, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Invitations.Add(new InvitationRow
        {
            Id = invitation.Id,
            VisitId = invitation.VisitId,
            AppointmentId = invitation.AppointmentId,
            CodeHash = invitation.CodeHash,
            Role = VisitRoom.Name(invitation.Role),
            Label = invitation.Label,
            CreatedBy = invitation.CreatedBy,
            CreatedAt = invitation.CreatedAt,
            ExpiresAt = invitation.ExpiresAt,
        });
        await db.SaveChangesAsync(cancellationToken);
    }

    public async Task<Invitation?> FindAsync(string invitationId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Invitations.AsNoTracking().FirstOrDefaultAsync(i => i.Id == invitationId, cancellationToken);
        return row is null ? null : ToInvitation(row);
    }

    public async Task<Invitation?> FindByCodeHashAsync(string codeHash, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Invitations.AsNoTracking().FirstOrDefaultAsync(i => i.CodeHash == codeHash, cancellationToken);
        return row is null ? null : ToInvitation(row);
    }

    public async Task<IReadOnlyList<Invitation>> ForVisitAsync(string visitId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.Invitations.AsNoTracking().Where(i => i.VisitId == visitId).ToListAsync(cancellationToken);
        return [.. rows.Select(ToInvitation).OrderBy(i => i.CreatedAt)];
    }

    public async Task<bool> RevokeAsync(string invitationId, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Invitations.FirstOrDefaultAsync(i => i.Id == invitationId, cancellationToken);
        if (row is null)
        {
            return false;
        }

        row.RevokedAt ??= at;
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    private static Invitation ToInvitation(InvitationRow row) => new(
        row.Id,
        row.VisitId,
        row.AppointmentId,
        row.CodeHash,
        GuestInvitations.ParseRole(row.Role),
        row.Label,
        row.CreatedBy,
        row.CreatedAt,
        row.ExpiresAt,
        row.RevokedAt);
}
