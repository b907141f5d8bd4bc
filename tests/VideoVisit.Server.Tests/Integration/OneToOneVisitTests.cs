using System.Text.Json;

namespace VideoVisit.Server.Tests.Integration;

public sealed class OneToOneVisitTests
{
    [Fact]
    public async Task PatientWaitsNurseAdmitsTheyExchangeOfferAnswerIceAndChatThenTheVisitEnds()
    {
        await using var server = await VisitServer.StartAsync();
        await using var patient = await server.ConnectAsync("patient-1");
        await using var nurse = await server.ConnectAsync("nurse-1");

        var knocked = await patient.InvokeAsync("BeginVisit", "appt-1", null);
        var visitId = knocked.Str("visitId");
        var patientId = knocked.Str("participantId");
        Assert.Equal("waiting", knocked.Str("state"));
        var waiting = await patient.WaitForStateAsync(s => s.GetProperty("placeInLine").ValueKind == JsonValueKind.Number);
        Assert.Equal(1, waiting.GetProperty("placeInLine").GetInt32());
        Assert.False(waiting.GetProperty("professionalPresent").GetBoolean());
        Assert.Equal("not-opened", waiting.Str("state"));

        await patient.InvokeAsync("ReportPrecheck", visitId, new { state = "ready", camera = "ok", microphone = "ok", speaker = "ok", popups = "allowed", browser = "Chrome 150", network = "relay-reachable" });

        var opened = await nurse.InvokeAsync("BeginVisit", "appt-1", null);
        Assert.Equal(visitId, opened.Str("visitId"));
        Assert.Equal("admitted", opened.Str("state"));
        var nurseId = opened.Str("participantId");
        await patient.WaitForStateAsync(s => s.GetProperty("professionalPresent").GetBoolean());

        var console = await nurse.WaitForStateAsync(s => s.StateOf(patientId) == "waiting");
        var seen = console.Participant(patientId)!.Value;
        Assert.Equal("Paula Patient", seen.Str("displayName"));
        Assert.Equal("patient", seen.Str("role"));
        Assert.Equal("ready", seen.GetProperty("precheck").Str("state"));
        Assert.Contains("camera: ok", seen.GetProperty("precheck").Str("summary"), StringComparison.Ordinal);
        Assert.True(seen.GetProperty("waitSeconds").GetInt32() >= 0);
        Assert.Equal("open", console.Str("state"));

        await nurse.InvokeAsync("Admit", visitId, patientId);
        await patient.WaitForStateAsync(s => s.StateOf(patientId) == "admitted");

        var sdp = "v=0\r\n" + new string('a', 3000);
        await nurse.InvokeAsync("SendSignal", visitId, patientId, "offer", new { type = "offer", sdp });
        var offer = await patient.WaitForAsync("Signal", s => s.Str("kind") == "offer");
        Assert.Equal(nurseId, offer.Str("fromParticipantId"));
        Assert.Equal(visitId, offer.Str("visitId"));
        Assert.Equal(sdp, offer.GetProperty("payload").Str("sdp"));

        await patient.InvokeAsync("SendSignal", visitId, nurseId, "answer", new { type = "answer", sdp = "v=0 answer" });
        await nurse.WaitForAsync("Signal", s => s.Str("kind") == "answer" && s.Str("fromParticipantId") == patientId);
        for (var i = 0; i < 3; i++)
        {
            await nurse.InvokeAsync("SendSignal", visitId, patientId, "ice", new { candidate = $"candidate:{i} 1 udp 1 10.0.0.1 5000 typ host", sdpMid = "0", sdpMLineIndex = 0 });
            await patient.InvokeAsync("SendSignal", visitId, nurseId, "ice", new { candidate = $"candidate:{i} 1 udp 1 10.0.0.2 5000 typ host", sdpMid = "0", sdpMLineIndex = 0 });
        }

        await patient.WaitForAsync("Signal", s => s.Str("kind") == "ice" && s.GetProperty("payload").Str("candidate").StartsWith("candidate:2", StringComparison.Ordinal));
        await nurse.WaitForAsync("Signal", s => s.Str("kind") == "ice" && s.GetProperty("payload").Str("candidate").StartsWith("candidate:2", StringComparison.Ordinal));
        Assert.Equal(3, patient.Events("Signal").Count(s => s.Str("kind") == "ice"));

        var sent = await patient.InvokeAsync("SendChat", visitId, "c-1", "Hello nurse");
        var chat = await nurse.WaitForAsync("ChatMessage", m => m.Str("clientMessageId") == "c-1");
        Assert.Equal("Hello nurse", chat.Str("text"));
        Assert.Equal(patientId, chat.Str("fromParticipantId"));
        Assert.Equal(sent.Str("messageId"), chat.Str("messageId"));

        await nurse.InvokeAsync("EndVisit", visitId);
        await patient.WaitForAsync("VisitEnded");
        await nurse.WaitForAsync("VisitEnded");
        var after = await patient.InvokeExpectingErrorAsync("BeginVisit", "appt-1", null);
        Assert.Contains("ended", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GroupOfThreeIsAdmittedAtOnceAndTheyCanSignalEachOther()
    {
        await using var server = await VisitServer.StartAsync();
        await using var nurse = await server.ConnectAsync("nurse-1");
        var ids = new Dictionary<string, string>();
        var clients = new List<HubClient>();
        try
        {
            foreach (var person in new[] { "patient-1", "patient-2", "patient-3" })
            {
                var client = await server.ConnectAsync(person);
                clients.Add(client);
                ids[person] = (await client.InvokeAsync("BeginVisit", "appt-group", null)).Str("participantId");
            }

            var third = await clients[2].WaitForStateAsync(s => s.GetProperty("placeInLine").ValueKind == JsonValueKind.Number);
            Assert.Equal(3, third.GetProperty("placeInLine").GetInt32());
            // Someone waiting sees the professionals and themselves, not the other people waiting.
            Assert.Single(third.GetProperty("participants").EnumerateArray());

            var opened = await nurse.InvokeAsync("BeginVisit", "appt-group", null);
            var visitId = opened.Str("visitId");
            var console = await nurse.WaitForStateAsync(s => s.GetProperty("waitingCount").GetInt32() == 3);
            Assert.Equal(ids.Values.Order(), console.GetProperty("participants").EnumerateArray()
                .Where(p => p.Str("state") == "waiting").Select(p => p.Str("participantId")).Order());

            await nurse.InvokeAsync("AdmitAll", visitId);
            foreach (var client in clients)
            {
                var admitted = await client.WaitForStateAsync(s => ids.Values.All(id => s.StateOf(id) == "admitted"));
                Assert.Equal(4, admitted.GetProperty("participants").GetArrayLength());
            }

            await clients[1].InvokeAsync("SendSignal", visitId, ids["patient-3"], "offer", new { type = "offer", sdp = "mesh" });
            var offer = await clients[2].WaitForAsync("Signal");
            Assert.Equal(ids["patient-2"], offer.Str("fromParticipantId"));
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }
}
