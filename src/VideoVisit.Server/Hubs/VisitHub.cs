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
internal sealed class VisitHub(VisitService visits, TimeProvider time) : Hub<IVisitClient>
{
    private const string RateLimiterKey = "signal-rate";

    private string Me => Context.User.PersonId() ?? "";

    public Task<BeginVisitResult> BeginVisit(string appointmentId, string? onBehalfOf) =>
        visits.BeginVisitAsync(Me, Context.ConnectionId, appointmentId, onBehalfOf);

    public Task Admit(string visitId, string participantId) => visits.AdmitAsync(Me, Context.ConnectionId, visitId, participantId);

    public Task AdmitAll(string visitId) => visits.AdmitAllAsync(Me, Context.ConnectionId, visitId);

    public Task ReturnToWaiting(string visitId, string participantId) => visits.ReturnToWaitingAsync(Me, Context.ConnectionId, visitId, participantId);

    public Task Remove(string visitId, string participantId) => visits.RemoveAsync(Me, Context.ConnectionId, visitId, participantId);

    public Task EndVisit(string visitId) => visits.EndVisitAsync(Me, Context.ConnectionId, visitId);

    public Task LeaveVisit(string visitId) => visits.LeaveVisitAsync(Me, Context.ConnectionId, visitId);

    public Task SendSignal(string visitId, string toParticipantId, string kind, JsonElement payload)
    {
        var limiter = (SignalRateLimiter)(Context.Items.TryGetValue(RateLimiterKey, out var l)
            ? l!
            : Context.Items[RateLimiterKey] = new SignalRateLimiter(visits.Options, time));
        if (!limiter.TryTake())
        {
            throw new VisitException(VisitError.RateLimited, "Too many call signals: slow down.");
        }

        return visits.SendSignalAsync(Me, Context.ConnectionId, visitId, toParticipantId, kind, payload);
    }

    public Task<ChatMessage> SendChat(string visitId, string clientMessageId, string text) =>
        visits.SendChatAsync(Me, Context.ConnectionId, visitId, clientMessageId, text);

    public Task ReportPrecheck(string visitId, JsonElement report) =>
        visits.ReportPrecheckAsync(Me, Context.ConnectionId, visitId, report);

    public override Task OnDisconnectedAsync(Exception? exception) => visits.DisconnectedAsync(Context.ConnectionId);
}
