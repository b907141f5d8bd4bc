using System.Text.Json;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Tests.Visits;

public sealed class SignalAndChatRulesTests
{
    private readonly World _w = new();

    private static readonly JsonElement Offer = World.Payload("{\"type\":\"offer\",\"sdp\":\"v=0\"}");

    [Fact]
    public async Task SignalsPassBetweenAdmittedParticipantsOnly()
    {
        var patient = await _w.Begin("patient-1").WaitAsync(World.Timeout);
        var nurse = await _w.Begin("nurse-1").WaitAsync(World.Timeout);

        var waitingSender = await Assert.ThrowsAsync<VisitException>(() => _w.Service.SendSignalAsync("patient-1", "conn-patient-1", nurse.VisitId, nurse.ParticipantId, "offer", Offer)).WaitAsync(World.Timeout);
        var waitingTarget = await Assert.ThrowsAsync<VisitException>(() => _w.Service.SendSignalAsync("nurse-1", "conn-nurse-1", nurse.VisitId, patient.ParticipantId, "offer", Offer)).WaitAsync(World.Timeout);
        var toSelf = await Assert.ThrowsAsync<VisitException>(() => _w.Service.SendSignalAsync("nurse-1", "conn-nurse-1", nurse.VisitId, nurse.ParticipantId, "offer", Offer)).WaitAsync(World.Timeout);
        Assert.All(new[] { waitingSender, waitingTarget, toSelf }, e => Assert.Equal(VisitError.WrongState, e.Error));
        Assert.DoesNotContain(_w.Notifier.Sent, s => s.Message is SignalMessage);

        await _w.Service.AdmitAsync("nurse-1", "conn-nurse-1", nurse.VisitId, patient.ParticipantId).WaitAsync(World.Timeout);
        await _w.Service.SendSignalAsync("nurse-1", "conn-nurse-1", nurse.VisitId, patient.ParticipantId, "offer", Offer).WaitAsync(World.Timeout);

        var delivered = Assert.Single(_w.Notifier.To<SignalMessage>("conn-patient-1"));
        Assert.Equal(nurse.ParticipantId, delivered.FromParticipantId);
        Assert.Equal("v=0", delivered.Payload.GetProperty("sdp").GetString());
    }

    [Fact]
    public async Task UnknownSignalKindsAndOversizedPayloadsAreRefused()
    {
        var nurse = await _w.Begin("nurse-1").WaitAsync(World.Timeout);
        var big = World.Payload(JsonSerializer.Serialize(new { sdp = new string('x', 64 * 1024) }));

        var kind = await Assert.ThrowsAsync<VisitException>(() => _w.Service.SendSignalAsync("nurse-1", "conn-nurse-1", nurse.VisitId, "p", "bye", Offer)).WaitAsync(World.Timeout);
        var size = await Assert.ThrowsAsync<VisitException>(() => _w.Service.SendSignalAsync("nurse-1", "conn-nurse-1", nurse.VisitId, "p", "offer", big)).WaitAsync(World.Timeout);

        Assert.Equal(VisitError.Invalid, kind.Error);
        Assert.Equal(VisitError.TooLarge, size.Error);
    }

    [Fact]
    public async Task ChatWithTheSameClientMessageIdIsStoredAndDeliveredOnce()
    {
        var patient = await _w.Begin("patient-1").WaitAsync(World.Timeout);
        var nurse = await _w.Begin("nurse-1").WaitAsync(World.Timeout);
        await _w.Service.AdmitAsync("nurse-1", "conn-nurse-1", nurse.VisitId, patient.ParticipantId).WaitAsync(World.Timeout);

        var first = await _w.Service.SendChatAsync("patient-1", "conn-patient-1", nurse.VisitId, "c-1", "hello").WaitAsync(World.Timeout);
        var again = await _w.Service.SendChatAsync("patient-1", "conn-patient-1", nurse.VisitId, "c-1", "hello").WaitAsync(World.Timeout);

        Assert.Equal(first.MessageId, again.MessageId);
        Assert.Single(_w.Notifier.To<ChatMessage>("conn-nurse-1"));
        Assert.Single(_w.Store.Chat);
    }

    [Fact]
    public async Task ChatFromTheWaitingRoomReachesTheProfessionalsAndTheCallsChatNotThoseWaiting()
    {
        await _w.Begin("patient-1", "appt-group").WaitAsync(World.Timeout);
        await _w.Begin("patient-2", "appt-group").WaitAsync(World.Timeout);
        var nurse = await _w.Begin("nurse-1", "appt-group").WaitAsync(World.Timeout);

        await _w.Service.SendChatAsync("patient-1", "conn-patient-1", nurse.VisitId, "w-1", "I am here").WaitAsync(World.Timeout);
        await _w.Service.SendChatAsync("nurse-1", "conn-nurse-1", nurse.VisitId, "n-1", "Said in the call").WaitAsync(World.Timeout);

        Assert.Equal(["I am here", "Said in the call"], _w.Notifier.To<ChatMessage>("conn-nurse-1").Select(m => m.Text));
        Assert.Equal(["I am here"], _w.Notifier.To<ChatMessage>("conn-patient-1").Select(m => m.Text));
        Assert.Empty(_w.Notifier.To<ChatMessage>("conn-patient-2"));
    }

    [Fact]
    public async Task AProfessionalAnswersOneWaitingPersonAndNobodyElseReadsIt()
    {
        var p1 = await _w.Begin("patient-1", "appt-group").WaitAsync(World.Timeout);
        await _w.Begin("patient-2", "appt-group").WaitAsync(World.Timeout);
        var nurse = await _w.Begin("nurse-1", "appt-group").WaitAsync(World.Timeout);

        await _w.Service.SendChatAsync("nurse-1", "conn-nurse-1", nurse.VisitId, "n-1", "Be with you in 5 minutes", p1.ParticipantId).WaitAsync(World.Timeout);
        var notProfessional = await Assert.ThrowsAsync<VisitException>(() => _w.Service.SendChatAsync("patient-1", "conn-patient-1", nurse.VisitId, "w-1", "psst", nurse.ParticipantId)).WaitAsync(World.Timeout);

        Assert.Equal(["Be with you in 5 minutes"], _w.Notifier.To<ChatMessage>("conn-patient-1").Select(m => m.Text));
        Assert.Empty(_w.Notifier.To<ChatMessage>("conn-patient-2"));
        Assert.Equal(VisitError.Forbidden, notProfessional.Error);
    }

    [Fact]
    public async Task ChatIsReplayedOnlyToThoseAdmittedWhenItWasSent()
    {
        var nurse = await _w.Begin("nurse-1").WaitAsync(World.Timeout);
        await _w.Service.SendChatAsync("nurse-1", "conn-nurse-1", nurse.VisitId, "n-1", "Before you came").WaitAsync(World.Timeout);
        var patient = await _w.Begin("patient-1").WaitAsync(World.Timeout);
        await _w.Service.AdmitAsync("nurse-1", "conn-nurse-1", nurse.VisitId, patient.ParticipantId).WaitAsync(World.Timeout);
        await _w.Service.SendChatAsync("nurse-1", "conn-nurse-1", nurse.VisitId, "n-2", "Welcome").WaitAsync(World.Timeout);

        await _w.Service.DisconnectedAsync("conn-patient-1").WaitAsync(World.Timeout);
        await _w.Begin("patient-1", connection: "conn-patient-1-again").WaitAsync(World.Timeout);

        Assert.Equal(["Welcome"], _w.Notifier.To<ChatMessage>("conn-patient-1").Select(m => m.Text));
        Assert.Equal(["Welcome"], _w.Notifier.To<ChatMessage>("conn-patient-1-again").Select(m => m.Text));
    }

    [Fact]
    public async Task AVisitsChatStopsAtItsCap()
    {
        var w = new World(new VisitOptions { MaxChatMessagesPerVisit = 10 });
        var nurse = await w.Begin("nurse-1").WaitAsync(World.Timeout);
        for (var i = 0; i < 10; i++)
        {
            await w.Service.SendChatAsync("nurse-1", "conn-nurse-1", nurse.VisitId, "n-" + i, "note " + i).WaitAsync(World.Timeout);
        }

        var full = await Assert.ThrowsAsync<VisitException>(() => w.Service.SendChatAsync("nurse-1", "conn-nurse-1", nurse.VisitId, "n-10", "one more")).WaitAsync(World.Timeout);
        var resend = await w.Service.SendChatAsync("nurse-1", "conn-nurse-1", nurse.VisitId, "n-3", "note 3").WaitAsync(World.Timeout);

        Assert.Equal(VisitError.LimitReached, full.Error);
        Assert.Equal("note 3", resend.Text);
        Assert.Equal(10, w.Store.Chat.Count);
    }

    [Fact]
    public async Task ChatNeedsTextWithinTheLimitAndAClientMessageId()
    {
        var nurse = await _w.Begin("nurse-1").WaitAsync(World.Timeout);

        Assert.Equal(VisitError.Invalid, (await Assert.ThrowsAsync<VisitException>(() => _w.Service.SendChatAsync("nurse-1", "conn-nurse-1", nurse.VisitId, "c", " ")).WaitAsync(World.Timeout)).Error);
        Assert.Equal(VisitError.TooLarge, (await Assert.ThrowsAsync<VisitException>(() => _w.Service.SendChatAsync("nurse-1", "conn-nurse-1", nurse.VisitId, "c", new string('x', 2001))).WaitAsync(World.Timeout)).Error);
        Assert.Equal(VisitError.Invalid, (await Assert.ThrowsAsync<VisitException>(() => _w.Service.SendChatAsync("nurse-1", "conn-nurse-1", nurse.VisitId, "", "hi")).WaitAsync(World.Timeout)).Error);
        Assert.Equal(2000, (await _w.Service.SendChatAsync("nurse-1", "conn-nurse-1", nurse.VisitId, "c", new string('x', 2000)).WaitAsync(World.Timeout)).Text.Length);
    }

    [Fact]
    public async Task PrecheckIsShownToTheProfessionalAndItsOwnerOnly()
    {
        var p1 = await _w.Begin("patient-1", "appt-group").WaitAsync(World.Timeout);
        await _w.Begin("patient-2", "appt-group").WaitAsync(World.Timeout);
        var nurse = await _w.Begin("nurse-1", "appt-group").WaitAsync(World.Timeout);
        await _w.Service.AdmitAllAsync("nurse-1", "conn-nurse-1", nurse.VisitId).WaitAsync(World.Timeout);

        await _w.Service.ReportPrecheckAsync("patient-1", "conn-patient-1", nurse.VisitId, World.Payload("{\"state\":\"camera-covered\",\"camera\":\"covered\",\"microphone\":\"ok\"}")).WaitAsync(World.Timeout);

        var forNurse = _w.Notifier.LastState("conn-nurse-1").Participants.Single(p => p.ParticipantId == p1.ParticipantId).Precheck!;
        Assert.Equal("camera-covered", forNurse.State);
        Assert.Equal("camera: covered, microphone: ok", forNurse.Summary);
        Assert.NotNull(_w.Notifier.LastState("conn-patient-1").Participants.Single(p => p.ParticipantId == p1.ParticipantId).Precheck);
        Assert.Null(_w.Notifier.LastState("conn-patient-2").Participants.Single(p => p.ParticipantId == p1.ParticipantId).Precheck);
    }

    [Fact]
    public async Task SomeoneWaitingSeesTheProfessionalsAndThemselvesOnly()
    {
        var p1 = await _w.Begin("patient-1", "appt-group").WaitAsync(World.Timeout);
        await _w.Begin("patient-2", "appt-group").WaitAsync(World.Timeout);
        var nurse = await _w.Begin("nurse-1", "appt-group").WaitAsync(World.Timeout);

        var view = _w.Notifier.LastState("conn-patient-2");

        Assert.Equal(2, view.Participants.Count);
        Assert.DoesNotContain(view.Participants, p => p.ParticipantId == p1.ParticipantId);
        Assert.Contains(view.Participants, p => p.ParticipantId == nurse.ParticipantId);
        Assert.Equal(2, view.WaitingCount);
    }
}
