using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace VideoVisit.Server.Visits;

/// <summary>
/// An invitation to one visit for someone without an account (an interpreter, a relative). Only a
/// hash of its code is kept: the link is shown once, to the professional who made it.
/// </summary>
public sealed record Invitation(
    string Id,
    string VisitId,
    string AppointmentId,
    string CodeHash,
    ParticipantRole Role,
    string? Label,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? RevokedAt)
{
    /// <summary>The person id a guest of this invitation acts as: one seat per invitation, so a second device moves it.</summary>
    public string GuestPersonId => GuestIds.Prefix + Id;
}

/// <summary>Where invitations are kept.</summary>
public interface IInvitationStore
{
    Task AddAsync(Invitation invitation, CancellationToken cancellationToken = default);

    Task<Invitation?> FindAsync(string invitationId, CancellationToken cancellationToken = default);

    Task<Invitation?> FindByCodeHashAsync(string codeHash, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<Invitation>> ForVisitAsync(string visitId, CancellationToken cancellationToken = default);

    /// <summary>Marks the invitation revoked; false when it was not found.</summary>
    Task<bool> RevokeAsync(string invitationId, DateTimeOffset at, CancellationToken cancellationToken = default);
}

/// <summary>Guest person ids: outside the FHIR id alphabet (<c>[A-Za-z0-9\-\.]</c>), so no catalog person can have one.</summary>
public static class GuestIds
{
    public const string Prefix = "guest_";

    public static bool IsGuest(string? personId) => personId is not null && personId.StartsWith(Prefix, StringComparison.Ordinal);
}

/// <summary>A redeemed invitation: who the guest is and where they may go.</summary>
public sealed record GuestAdmission(Invitation Invitation, string Name);

/// <summary>
/// Guest invitations: the visit's professional creates, lists and revokes them; a guest redeems a
/// code with the name they give, renews while the invitation holds, and joins only that visit,
/// waiting like anyone else. A link stops working when revoked, expired, or once the visit ended.
/// Every step goes to the visit's audit trail.
/// </summary>
public sealed class GuestInvitations(VisitService visits, IInvitationStore invitations, IVisitStore audit, TimeProvider time)
{
    public const int MaxNameLength = 60;
    public const int MaxPerVisit = 20;

    private DateTimeOffset Now => time.GetUtcNow();

    /// <summary>Creates an invitation; returns it and its code (shown once, never stored).</summary>
    public async Task<(Invitation Invitation, string Code)> CreateAsync(string? personId, string visitId, string? role, string? label, DateTimeOffset? expiresAt)
    {
        var (me, room) = await ProfessionalOfAsync(personId, visitId);
        var guestRole = ParseRole(role);
        label = CleanName(label, required: false);
        var now = Now;
        var closesAt = VisitRoom.WindowOf(room.Appointment, visits.Options).ClosesAt;
        var expires = expiresAt ?? closesAt;
        if (expires <= now)
        {
            throw new VisitException(VisitError.Invalid, "An invitation must expire in the future.");
        }

        if (expires > closesAt)
        {
            throw new VisitException(VisitError.Invalid, string.Create(CultureInfo.InvariantCulture,
                $"An invitation expires at the latest when the visit can no longer be begun ({closesAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC)."));
        }

        if ((await invitations.ForVisitAsync(room.VisitId)).Count >= MaxPerVisit)
        {
            throw new VisitException(VisitError.LimitReached, $"A visit can have at most {MaxPerVisit} invitations.");
        }

        // 256 random bits: the code is the guest's only credential, so it cannot be guessed.
        var code = Base64Url(RandomNumberGenerator.GetBytes(32));
        var invitation = new Invitation(
            Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            room.VisitId,
            room.Appointment.Id,
            HashCode(code),
            guestRole,
            label,
            me.Id,
            now,
            expires,
            null);
        await invitations.AddAsync(invitation);
        await audit.AppendEvent(new VisitEvent(room.VisitId, now, "invitation-created", me.Id, null, null, TargetPersonId: invitation.GuestPersonId,
            Detail: VisitRoom.Name(guestRole) + " until " + expires.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)));
        return (invitation, code);
    }

    public async Task<IReadOnlyList<Invitation>> ListAsync(string? personId, string visitId)
    {
        var (_, room) = await ProfessionalOfAsync(personId, visitId, allowEnded: true);
        return await invitations.ForVisitAsync(room.VisitId);
    }

    /// <summary>Revokes: the link stops working and a guest who came by it loses their place.</summary>
    public async Task RevokeAsync(string? personId, string visitId, string invitationId)
    {
        var (me, room) = await ProfessionalOfAsync(personId, visitId, allowEnded: true);
        var invitation = await invitations.FindAsync(invitationId);
        if (invitation is null || invitation.VisitId != room.VisitId)
        {
            throw new VisitException(VisitError.NotFound, "There is no such invitation for this visit.");
        }

        if (invitation.RevokedAt is not null)
        {
            return;
        }

        var now = Now;
        await invitations.RevokeAsync(invitation.Id, now);
        await audit.AppendEvent(new VisitEvent(room.VisitId, now, "invitation-revoked", me.Id, null, null, TargetPersonId: invitation.GuestPersonId));
        await visits.ReleaseGuestAsync(room.VisitId, invitation.GuestPersonId, "invitation-revoked",
            "Your invitation was withdrawn, so your place in this visit was released.");
    }

    /// <summary>A guest opens the link and gives their name.</summary>
    public async Task<GuestAdmission> RedeemAsync(string? code, string? name)
    {
        if (string.IsNullOrEmpty(code) || code.Length > 100)
        {
            throw new VisitException(VisitError.NotFound, "This invitation link is not valid.");
        }

        var guestName = CleanName(name, required: true)!;
        var invitation = await invitations.FindByCodeHashAsync(HashCode(code))
            ?? throw new VisitException(VisitError.NotFound, "This invitation link is not valid.");
        var now = Now;
        try
        {
            await CheckAsync(invitation, now);
        }
        catch (VisitException refused)
        {
            await audit.AppendEvent(new VisitEvent(invitation.VisitId, now, "guest-link-refused", invitation.GuestPersonId, null, null, Detail: refused.Error.ToString()));
            throw;
        }

        await audit.AppendEvent(new VisitEvent(invitation.VisitId, now, "guest-link-opened", invitation.GuestPersonId, null, null, Detail: VisitRoom.Name(invitation.Role) + ": " + guestName));
        return new GuestAdmission(invitation, guestName);
    }

    /// <summary>
    /// A guest's token is renewed while their invitation holds: not revoked, the visit not ended, and
    /// either not expired or the guest already holding their seat (the expiry is for opening the link,
    /// so an interpreter in the call is not cut off mid-sentence).
    /// </summary>
    public async Task<Invitation> RenewAsync(string invitationId)
    {
        var invitation = await invitations.FindAsync(invitationId)
            ?? throw new VisitException(VisitError.Forbidden, "This invitation is no longer valid.");
        await CheckAsync(invitation, Now, await visits.HoldsSeatAsync(invitation.VisitId, invitation.GuestPersonId));
        return invitation;
    }

    /// <summary>The guest knocks (or resumes their seat) in the one visit their invitation opens.</summary>
    public async Task<BeginVisitResult> JoinAsync(string invitationId, string name, string connectionId, string appointmentId)
    {
        var invitation = await invitations.FindAsync(invitationId)
            ?? throw new VisitException(VisitError.Forbidden, "This invitation is no longer valid.");
        if (invitation.AppointmentId != appointmentId)
        {
            throw new VisitException(VisitError.Forbidden, "A guest link opens only its own visit.");
        }

        // Resuming a seat held (a reconnect with a renewed token) is not opening the link again.
        await CheckAsync(invitation, Now, await visits.HoldsSeatAsync(invitation.VisitId, invitation.GuestPersonId));
        return await visits.JoinAsGuestAsync(new Person(invitation.GuestPersonId, name), invitation.Role, invitation.AppointmentId, invitation.VisitId, connectionId);
    }

    /// <summary>A guest token's expiry: short, so a revoked invitation or an ended visit is felt within <paramref name="lifetime"/> at most.</summary>
    public DateTimeOffset TokenExpiry(TimeSpan lifetime) => Now + lifetime;

    public static string HashCode(string code) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(code)));

    public static ParticipantRole ParseRole(string? role) => role switch
    {
        "interpreter" => ParticipantRole.Interpreter,
        "guest" => ParticipantRole.Guest,
        _ => throw new VisitException(VisitError.Invalid, "An invitation's role is interpreter or guest."),
    };

    private async Task CheckAsync(Invitation invitation, DateTimeOffset now, bool holdsSeat = false)
    {
        if (invitation.RevokedAt is not null)
        {
            throw new VisitException(VisitError.Forbidden, "This invitation was withdrawn by the clinic.");
        }

        if (now >= invitation.ExpiresAt && !holdsSeat)
        {
            throw new VisitException(VisitError.OutsideWindow, "This invitation has expired.");
        }

        if (await visits.StatusOfVisitAsync(invitation.AppointmentId, invitation.VisitId) is not (VisitStatus.NotOpened or VisitStatus.Open))
        {
            throw new VisitException(VisitError.Ended, "This visit has ended.");
        }
    }

    private async Task<(Person Me, VisitRef Room)> ProfessionalOfAsync(string? personId, string visitId, bool allowEnded = false)
    {
        var me = visits.Me(personId);
        var (visit, appointment) = await visits.FindVisitAsync(visitId)
            ?? throw new VisitException(VisitError.NotFound, "There is no such visit.");
        if (!Rights.IsProfessionalOf(me, appointment))
        {
            throw new VisitException(VisitError.Forbidden, "Only the visit's professional can invite guests.");
        }

        if (!allowEnded && visit.Status == VisitStatus.Ended)
        {
            throw new VisitException(VisitError.Ended, "This visit has ended.");
        }

        return (me, new VisitRef(visit.VisitId, appointment));
    }

    /// <summary>The visit an invitation is about and its appointment.</summary>
    private sealed record VisitRef(string VisitId, Appointment Appointment);

    private static string? CleanName(string? name, bool required)
    {
        name = name?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            return required ? throw new VisitException(VisitError.Invalid, "Please give your name.") : null;
        }

        if (name.Length > MaxNameLength || name.Any(char.IsControl))
        {
            throw new VisitException(VisitError.Invalid, $"A name is at most {MaxNameLength} characters, without control characters.");
        }

        return name;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
