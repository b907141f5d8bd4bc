using VideoVisit.Server.Tests.Integration;

namespace VideoVisit.Server.Tests.Hardening;

/// <summary>
/// The chat rule on the real server with the official client: a message sent in the call is read by
/// those admitted when it was sent and by the professionals; one from the waiting room by the
/// professionals and its sender. Live, in the replay, after a return to waiting and after a restart.
/// </summary>
public sealed class ChatPrivacyTests
{
    private const string Figures = "My blood pressure was 152/95 this morning";

    [Fact]
    public async Task InAGroupVisitPeopleWaitingNeverReadTheCallsChatLiveInReplayAfterReturnOrAfterRestart()
    {
        string dataDirectory;
        await using (var server = await VisitServer.StartAsync(new Dictionary<string, string?> { ["Visits:ReconnectGraceSeconds"] = "1" }))
        {
            dataDirectory = server.Server.DataDirectory;
            await using var nurse = await server.ConnectAsync("nurse-1");
            await using var p1 = await server.ConnectAsync("patient-1");
            await using var p2 = await server.ConnectAsync("patient-2");
            await using var p3 = await server.ConnectAsync("patient-3");
            var visitId = (await nurse.InvokeAsync("BeginVisit", "appt-group", null)).Str("visitId");
            var p1Id = (await p1.InvokeAsync("BeginVisit", "appt-group", null)).Str("participantId");
            var p2Id = (await p2.InvokeAsync("BeginVisit", "appt-group", null)).Str("participantId");
            var p3Id = (await p3.InvokeAsync("BeginVisit", "appt-group", null)).Str("participantId");
            await nurse.InvokeAsync("Admit", visitId, p1Id);
            await nurse.InvokeAsync("Admit", visitId, p2Id);

            // Live: p1 and p2 are in the call, p3 waits.
            await p1.InvokeAsync("SendChat", visitId, "bp", Figures);
            await p3.InvokeAsync("SendChat", visitId, "w3", "Is it my turn soon?");
            await p2.WaitForAsync("ChatMessage", m => m.Str("text") == Figures);
            await nurse.WaitForAsync("ChatMessage", m => m.Str("text") == "Is it my turn soon?");
            await p3.WaitForAsync("ChatMessage", m => m.Str("text") == "Is it my turn soon?");

            // Returned to waiting: p2 no longer reads what the call says.
            await nurse.InvokeAsync("ReturnToWaiting", visitId, p2Id);
            await p2.WaitForStateAsync(s => s.StateOf(p2Id) == "waiting");
            await nurse.InvokeAsync("SendChat", visitId, "n-after", "Only for those in the call now");
            await p1.WaitForAsync("ChatMessage", m => m.Str("text") == "Only for those in the call now");

            // Replay: p3 begins again from a new window, then is admitted later.
            await using var p3Again = await server.ConnectAsync("patient-3");
            await p3Again.InvokeAsync("BeginVisit", "appt-group", null);
            await nurse.InvokeAsync("Admit", visitId, p3Id);
            await p3Again.WaitForStateAsync(s => s.StateOf(p3Id) == "admitted");
            await nurse.InvokeAsync("SendChat", visitId, "marker", "marker");
            await p3Again.WaitForAsync("ChatMessage", m => m.Str("text") == "marker");
            await p2.InvokeAsync("SendChat", visitId, "w2", "marker-2");
            await nurse.WaitForAsync("ChatMessage", m => m.Str("text") == "marker-2");

            Assert.DoesNotContain(p3.Events("ChatMessage"), m => m.Str("text") == Figures);
            Assert.DoesNotContain(p3Again.Events("ChatMessage"), m => m.Str("text") == Figures);
            Assert.DoesNotContain(p2.Events("ChatMessage"), m => m.Str("text") == "Only for those in the call now");
            Assert.DoesNotContain(p2.Events("ChatMessage"), m => m.Str("text") == "marker");
            Assert.DoesNotContain(p1.Events("ChatMessage"), m => m.Str("text") is "Is it my turn soon?" or "marker-2");
        }

        // After a restart the same rule holds for what is read back from the store.
        await using (var restarted = await VisitServer.StartAsync(dataDirectory: dataDirectory))
        {
            await using var p2 = await restarted.ConnectAsync("patient-2");
            await using var p3 = await restarted.ConnectAsync("patient-3");
            await using var nurse = await restarted.ConnectAsync("nurse-1");
            await p2.InvokeAsync("BeginVisit", "appt-group", null);
            await p3.InvokeAsync("BeginVisit", "appt-group", null);
            await nurse.InvokeAsync("BeginVisit", "appt-group", null);

            await nurse.WaitForAsync("ChatMessage", m => m.Str("text") == "marker-2");
            await p2.WaitForAsync("ChatMessage", m => m.Str("text") == "marker-2");
            await p3.WaitForAsync("ChatMessage", m => m.Str("text") == "marker");
            var p2Read = p2.Events("ChatMessage").Select(m => m.Str("text")).ToList();
            var p3Read = p3.Events("ChatMessage").Select(m => m.Str("text")).ToList();
            Assert.Contains(Figures, p2Read); // p2 was in the call when it was said
            Assert.DoesNotContain("Only for those in the call now", p2Read);
            Assert.DoesNotContain(Figures, p3Read);
            Assert.Contains("Is it my turn soon?", p3Read);
            Assert.Equal(5, nurse.Events("ChatMessage").Count);
        }
    }

    [Fact]
    public async Task AGuardianReturnedToTheWaitingRoomNoLongerReadsTheNurseAndTheChild()
    {
        await using var server = await VisitServer.StartAsync();
        await using var nurse = await server.ConnectAsync("nurse-1");
        await using var child = await server.ConnectAsync("child-1");
        await using var guardian = await server.ConnectAsync("guardian-1");
        var visitId = (await nurse.InvokeAsync("BeginVisit", "appt-child", null)).Str("visitId");
        var childId = (await child.InvokeAsync("BeginVisit", "appt-child", null)).Str("participantId");
        var guardianId = (await guardian.InvokeAsync("BeginVisit", "appt-child", "child-1")).Str("participantId");
        await nurse.InvokeAsync("AdmitAll", visitId);
        await guardian.WaitForStateAsync(s => s.StateOf(guardianId) == "admitted");
        await nurse.InvokeAsync("SendChat", visitId, "n1", "Hello both of you");
        await guardian.WaitForAsync("ChatMessage", m => m.Str("text") == "Hello both of you");

        await nurse.InvokeAsync("ReturnToWaiting", visitId, guardianId);
        await guardian.WaitForStateAsync(s => s.StateOf(guardianId) == "waiting");
        await nurse.InvokeAsync("SendChat", visitId, "n2", "Can you tell me about school?");
        await child.InvokeAsync("SendChat", visitId, "c1", "Someone at school is mean to me");
        await nurse.WaitForAsync("ChatMessage", m => m.Str("clientMessageId") == "c1");
        await child.WaitForAsync("ChatMessage", m => m.Str("clientMessageId") == "n2");
        await nurse.InvokeAsync("SendChatTo", visitId, guardianId, "n3", "I will call you back in shortly");
        await guardian.WaitForAsync("ChatMessage", m => m.Str("clientMessageId") == "n3");

        // The guardian's other window, opened now, replays only what they may read.
        await using var guardianAgain = await server.ConnectAsync("guardian-1");
        await guardianAgain.InvokeAsync("BeginVisit", "appt-child", "child-1");
        await guardianAgain.WaitForAsync("ChatMessage", m => m.Str("clientMessageId") == "n3");

        foreach (var client in new[] { guardian, guardianAgain })
        {
            var read = client.Events("ChatMessage").Select(m => m.Str("clientMessageId")).ToList();
            Assert.DoesNotContain("n2", read);
            Assert.DoesNotContain("c1", read);
        }

        Assert.DoesNotContain(child.Events("ChatMessage"), m => m.Str("clientMessageId") == "n3");
        Assert.Contains("n1", guardianAgain.Events("ChatMessage").Select(m => m.Str("clientMessageId")));
        Assert.Equal(childId, nurse.Events("ChatMessage").Single(m => m.Str("clientMessageId") == "c1").Str("fromParticipantId"));
    }
}
