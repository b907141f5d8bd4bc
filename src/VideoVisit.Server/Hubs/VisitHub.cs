using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using VideoVisit.Server.Auth;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Hubs;

/// <summary>
/// <c>/hubs/visit</c>: a thin adapter over <see cref="VisitService"/>. The caller is the token's person
/// and this connection; every rule and right is checked in the domain, whose refusals
/// <see cref="VisitHubFilter"/> turns into <see cref="HubException"/>s with user-safe messages.
/// The endpoint requires an authenticated caller (<c>MapVideoVisits</c>), so no connection exists
/// without a valid token; the token is not re-checked per message.
/// </summary>
internal sealed class VisitHub(VisitService visits, GuestInvitations guests, HubRateLimits limits) : Hub<IVisitClient>
{
    private string Me => Context.User.PersonId() ?? "";

    /// <summary>A guest by invitation knocks on their one visit (the invitation is checked again at every knock).</summary>
    public Task<BeginVisitResult> BeginVisit(string appointmentId, string? onBehalfOf) =>
        GuestTokens.From(Context.User) is { } guest
            ? guests.JoinAsync(guest.InvitationId, guest.Name, Context.ConnectionId, appointmentId)
            : visits.BeginVisitAsync(Me, Context.ConnectionId, appointmentId, onBehalfOf);

    public Task Admit(string visitId, string participantId) => visits.AdmitAsync(Me, Context.ConnectionId, visitId, participantId);

    public Task AdmitAll(string visitId) => visits.AdmitAllAsync(Me, Context.ConnectionId, visitId);

    public Task ReturnToWaiting(string visitId, string participantId) => visits.ReturnToWaitingAsync(Me, Context.ConnectionId, visitId, participantId);

    public Task Remove(string visitId, string participantId) => visits.RemoveAsync(Me, Context.ConnectionId, visitId, participantId);

    public Task AllowBack(string visitId, string participantId) => visits.AllowBackAsync(Me, Context.ConnectionId, visitId, participantId);

    public Task EndVisit(string visitId) => visits.EndVisitAsync(Me, Context.ConnectionId, visitId);

    public Task LeaveVisit(string visitId) => visits.LeaveVisitAsync(Me, Context.ConnectionId, visitId);

    public Task SendSignal(string visitId, string toParticipantId, string kind, JsonElement payload)
    {
        limits.Take(Context.ConnectionId, HubLimit.Signal);
        return visits.SendSignalAsync(Me, Context.ConnectionId, visitId, toParticipantId, kind, payload);
    }

    public Task<ChatMessage> SendChat(string visitId, string clientMessageId, string text)
    {
        limits.Take(Context.ConnectionId, HubLimit.Chat);
        return visits.SendChatAsync(Me, Context.ConnectionId, visitId, clientMessageId, text);
    }

    /// <summary>A professional's message to one participant (e.g. an answer to someone still waiting).</summary>
    public Task<ChatMessage> SendChatTo(string visitId, string toParticipantId, string clientMessageId, string text)
    {
        limits.Take(Context.ConnectionId, HubLimit.Chat);
        return visits.SendChatAsync(Me, Context.ConnectionId, visitId, clientMessageId, text, toParticipantId);
    }

    public Task ReportPrecheck(string visitId, JsonElement report)
    {
        limits.Take(Context.ConnectionId, HubLimit.Precheck);
        return visits.ReportPrecheckAsync(Me, Context.ConnectionId, visitId, report);
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        limits.Forget(Context.ConnectionId);
        return visits.DisconnectedAsync(Context.ConnectionId);
    }
}
