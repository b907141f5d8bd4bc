namespace VideoVisit.Server.Visits;

/// <summary>
/// The one waiting order, defined here and sent to every client: by arrival (the first knock). Someone
/// returned to the waiting room or reconnecting keeps their arrival place, so the place a patient is
/// told, the order of the professional's list and the order of Admit all are the same.
/// </summary>
public static class WaitingOrder
{
    /// <summary>Those waiting, first in line first.</summary>
    public static List<Participant> Line(IEnumerable<Participant> participants) =>
        [.. participants.Where(p => p.State == ParticipantState.Waiting).OrderBy(p => p.Arrival)];

    /// <summary>1-based place in <paramref name="line"/>, or null for someone not waiting.</summary>
    public static int? PlaceOf(List<Participant> line, Participant participant)
    {
        var index = line.IndexOf(participant);
        return index < 0 ? null : index + 1;
    }

    /// <summary>
    /// The order participants are listed in: professionals, then those in the call (in arrival order),
    /// then the waiting line, then everyone else (reconnecting, left, removed).
    /// </summary>
    public static IEnumerable<Participant> ForDisplay(IEnumerable<Participant> participants, List<Participant> line) =>
        participants
            .OrderBy(p => p.IsProfessional ? 0 : p.State == ParticipantState.Admitted ? 1 : p.State == ParticipantState.Waiting ? 2 : 3)
            .ThenBy(p => p.State == ParticipantState.Waiting ? line.IndexOf(p) : p.Arrival);
}
