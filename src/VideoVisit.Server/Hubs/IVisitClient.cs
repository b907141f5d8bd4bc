using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Hubs;

/// <summary>The events a hub client receives (Contract v1).</summary>
public interface IVisitClient
{
    Task VisitState(VisitStateSnapshot snapshot);

    Task Signal(SignalMessage message);

    Task ChatMessage(ChatMessage message);

    Task Removed(RemovedMessage message);

    Task VisitEnded(VisitEndedMessage message);
}
