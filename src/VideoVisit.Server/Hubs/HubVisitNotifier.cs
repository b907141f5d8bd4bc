using Microsoft.AspNetCore.SignalR;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Hubs;

/// <summary><see cref="IVisitNotifier"/> over the hub: each message goes to one connection.</summary>
internal sealed class HubVisitNotifier(IHubContext<VisitHub, IVisitClient> hub) : IVisitNotifier
{
    public Task VisitStateAsync(string connectionId, VisitStateSnapshot snapshot) => hub.Clients.Client(connectionId).VisitState(snapshot);

    public Task SignalAsync(string connectionId, SignalMessage message) => hub.Clients.Client(connectionId).Signal(message);

    public Task ChatMessageAsync(string connectionId, ChatMessage message) => hub.Clients.Client(connectionId).ChatMessage(message);

    public Task RemovedAsync(string connectionId, RemovedMessage message) => hub.Clients.Client(connectionId).Removed(message);

    public Task VisitEndedAsync(string connectionId, VisitEndedMessage message) => hub.Clients.Client(connectionId).VisitEnded(message);
}
