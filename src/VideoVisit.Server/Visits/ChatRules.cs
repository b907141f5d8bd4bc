namespace VideoVisit.Server.Visits;

/// <summary>
/// Who may read a chat message, decided once, when it is sent, and applied the same way to live
/// delivery, the replay on BeginVisit and reads after a reconnect or a restart:
/// a message sent in the call is readable by those admitted when it was sent and by the
/// professionals; a message from the waiting room by the professionals and its sender; a
/// professional's answer to one participant by the professionals and that participant.
/// Someone returned to the waiting room or admitted later reads only what this allows them.
/// </summary>
public static class ChatRules
{
    public static StoredChat Compose(Participant sender, IEnumerable<Participant> participants, string visitId, string clientMessageId, string text, DateTimeOffset now)
    {
        var message = new ChatMessage(visitId, VisitRoom.NewId("m-"), clientMessageId, sender.Id, sender.Actor.DisplayName, text, now);
        if (sender.State == ParticipantState.Waiting && !sender.IsProfessional)
        {
            return new StoredChat(message, sender.Actor.Id, ChatAudience.ProfessionalsAndSender, new HashSet<string>(StringComparer.Ordinal));
        }

        // In the call: everyone admitted now, including a seat in its reconnection grace that was admitted.
        var readers = participants
            .Where(p => !p.IsProfessional && IsInCall(p))
            .Select(p => p.Actor.Id)
            .ToHashSet(StringComparer.Ordinal);
        return new StoredChat(message, sender.Actor.Id, ChatAudience.Everyone, readers);
    }

    public static StoredChat ComposeTo(Participant professional, Participant reader, string visitId, string clientMessageId, string text, DateTimeOffset now)
    {
        var message = new ChatMessage(visitId, VisitRoom.NewId("m-"), clientMessageId, professional.Id, professional.Actor.DisplayName, text, now);
        return new StoredChat(message, professional.Actor.Id, ChatAudience.ProfessionalsAndReaders, new HashSet<string>([reader.Actor.Id], StringComparer.Ordinal));
    }

    public static bool MayRead(Participant reader, StoredChat chat) =>
        reader.IsProfessional
        || reader.Actor.Id == chat.SenderPersonId
        || (chat.Audience != ChatAudience.ProfessionalsAndSender && chat.Readers.Contains(reader.Actor.Id));

    private static bool IsInCall(Participant p) =>
        p.State == ParticipantState.Admitted || p is { State: ParticipantState.Reconnecting, ResumeState: ParticipantState.Admitted };
}
