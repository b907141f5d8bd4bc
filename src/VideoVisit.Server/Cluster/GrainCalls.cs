using Orleans.Runtime;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Cluster;

/// <summary>A visit's grain, called for everything; the subclasses answer some reads in this process instead.</summary>
internal abstract class GrainCalls<TGrain>(TGrain grain) : IVisit
    where TGrain : IVisit
{
    protected TGrain Grain => grain;

    public virtual Task<SignalRoute> RouteSignal(string connectionId, string toParticipantId) => grain.RouteSignal(connectionId, toParticipantId);

    public virtual Task<VisitInfo?> Info() => grain.Info();

    public Task<BeginVisitResult> Join(Person actor, Person? onBehalfOf, ParticipantRole role, string connectionId, string? server) =>
        grain.Join(actor, onBehalfOf, role, connectionId, server);

    public Task Admit(string connectionId, string participantId) => grain.Admit(connectionId, participantId);

    public Task AdmitAll(string connectionId) => grain.AdmitAll(connectionId);

    public Task ReturnToWaiting(string connectionId, string participantId) => grain.ReturnToWaiting(connectionId, participantId);

    public Task Remove(string connectionId, string participantId) => grain.Remove(connectionId, participantId);

    public Task AllowBack(string connectionId, string participantId) => grain.AllowBack(connectionId, participantId);

    public Task EndVisit(string connectionId) => grain.EndVisit(connectionId);

    public Task Leave(string connectionId) => grain.Leave(connectionId);

    public Task<ChatMessage> Chat(string connectionId, string clientMessageId, string text, string? toParticipantId) =>
        grain.Chat(connectionId, clientMessageId, text, toParticipantId);

    public Task ReportPrecheck(string connectionId, PrecheckSummary summary, string reportJson) => grain.ReportPrecheck(connectionId, summary, reportJson);

    /// <summary>
    /// A closed connection has nobody to try again, so this does: a visit that is moving (its activation
    /// going away as the call arrived, or its server just declared dead) answers the next attempt from
    /// wherever it runs then. Without this the seat stayed "admitted" with nobody behind it.
    /// </summary>
    public async Task Disconnected(string connectionId)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await grain.Disconnected(connectionId);
                return;
            }
            catch (Exception moving) when (VisitMoving.Is(moving) && attempt < DisconnectAttempts)
            {
                await Task.Delay(DisconnectPause * attempt);
            }
        }
    }

    /// <summary>Tries for a closed connection's disconnect, 0.5 s apart and then longer: about 3 s in all, as long as a dead server takes to be declared dead.</summary>
    internal const int DisconnectAttempts = 4;

    internal static readonly TimeSpan DisconnectPause = TimeSpan.FromMilliseconds(500);

    public Task EndBecause(string kind, string message) => grain.EndBecause(kind, message);

    public Task Release(string personId, string reason, string message) => grain.Release(personId, reason, message);

    public Task RecheckRights(IReadOnlyList<string> personIds) => grain.RecheckRights(personIds);
}

/// <summary>What a visit's grain answers while the visit moves between servers (its activation going away, its server not yet declared dead).</summary>
internal static class VisitMoving
{
    /// <summary>Orleans' own failures and its response timeout: the same call succeeds again in a few seconds.</summary>
    public static bool Is(Exception exception) => exception is OrleansException or TimeoutException;
}
