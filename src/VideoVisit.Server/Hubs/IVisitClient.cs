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

    /// <summary>The clinic's system changed appointments this person sees (Contract v2, FHIR): re-read the list.</summary>
    Task AppointmentsChanged(Fhir.AppointmentsChangedMessage message);
}
