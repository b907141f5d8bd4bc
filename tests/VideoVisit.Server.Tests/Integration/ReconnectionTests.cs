namespace VideoVisit.Server.Tests.Integration;

public sealed class ReconnectionTests
{
    [Fact]
    public async Task DroppedPatientResumesAdmittedWithoutKnockingInsideTheGrace()
    {
        await using var server = await VisitServer.StartAsync(new Dictionary<string, string?> { ["Visits:ReconnectGraceSeconds"] = "30" });
        await using var visit = await VisitScenario.StartAsync(server, admit: true);

        visit.Patient.Abort();
        await visit.Nurse.WaitForStateAsync(s => s.StateOf(visit.PatientId) == "reconnecting");
        await using var back = await server.ConnectAsync("patient-1");
        var resumed = await back.InvokeAsync("BeginVisit", "appt-1", null);

        Assert.Equal("admitted", resumed.Str("state"));
        Assert.Equal(visit.PatientId, resumed.Str("participantId"));
        await visit.Nurse.WaitForStateAsync(s => s.StateOf(visit.PatientId) == "admitted" && s.GetProperty("version").GetInt64() > 3);
        await visit.Nurse.InvokeAsync("SendSignal", visit.VisitId, visit.PatientId, "restart", new { reason = "ice-restart" });
        await back.WaitForAsync("Signal", s => s.Str("kind") == "restart");
    }

    [Fact]
    public async Task AfterTheGraceTheSeatIsGoneOthersAreToldAndJoiningAgainMeansKnocking()
    {
        await using var server = await VisitServer.StartAsync(new Dictionary<string, string?> { ["Visits:ReconnectGraceSeconds"] = "1" });
        await using var visit = await VisitScenario.StartAsync(server, admit: true);

        visit.Patient.Abort();
        await visit.Nurse.WaitForStateAsync(s => s.StateOf(visit.PatientId) == "reconnecting");
        await visit.Nurse.WaitForStateAsync(s => s.StateOf(visit.PatientId) == "left", TimeSpan.FromSeconds(10));
        await using var back = await server.ConnectAsync("patient-1");
        var again = await back.InvokeAsync("BeginVisit", "appt-1", null);

        Assert.Equal("waiting", again.Str("state"));
        await visit.Nurse.WaitForStateAsync(s => s.StateOf(visit.PatientId) == "waiting");
    }

    [Fact]
    public async Task SecondDeviceTakesOverAndTheFirstIsToldWhy()
    {
        await using var server = await VisitServer.StartAsync();
        await using var visit = await VisitScenario.StartAsync(server, admit: true);
        await using var phone = await server.ConnectAsync("patient-1");

        var joined = await phone.InvokeAsync("BeginVisit", "appt-1", null);

        Assert.Equal("admitted", joined.Str("state"));
        Assert.Equal(visit.PatientId, joined.Str("participantId"));
        var told = await visit.Patient.WaitForAsync("Removed");
        Assert.Equal("replaced", told.Str("reason"));
        Assert.Contains("another window or device", told.Str("message"), StringComparison.Ordinal);
        await visit.Nurse.InvokeAsync("SendSignal", visit.VisitId, visit.PatientId, "offer", new { sdp = "to the phone" });
        await phone.WaitForAsync("Signal");
        Assert.Empty(visit.Patient.Events("Signal"));
        Assert.Contains("not in this visit", await visit.Patient.InvokeExpectingErrorAsync("SendChat", visit.VisitId, "x", "from the old tab"), StringComparison.Ordinal);
        // The old tab closing does not start a reconnection for the seat that moved.
        await visit.Patient.DisposeAsync();
        await Task.Delay(300);
        var state = visit.Nurse.Events("VisitState").MaxBy(s => s.GetProperty("version").GetInt64());
        Assert.DoesNotContain(visit.Nurse.Events("VisitState"), s => s.StateOf(visit.PatientId) == "reconnecting");
        Assert.Equal("admitted", state.StateOf(visit.PatientId));
    }

    [Fact]
    public async Task ChatResentAfterAReconnectIsDeliveredOnce()
    {
        await using var server = await VisitServer.StartAsync(new Dictionary<string, string?> { ["Visits:ReconnectGraceSeconds"] = "30" });
        await using var visit = await VisitScenario.StartAsync(server, admit: true);

        var first = await visit.Patient.InvokeAsync("SendChat", visit.VisitId, "client-42", "Can you hear me?");
        await visit.Nurse.WaitForAsync("ChatMessage", m => m.Str("clientMessageId") == "client-42");
        visit.Patient.Abort();
        await using var back = await server.ConnectAsync("patient-1");
        await back.InvokeAsync("BeginVisit", "appt-1", null);
        var replayed = await back.WaitForAsync("ChatMessage", m => m.Str("clientMessageId") == "client-42");
        var resent = await back.InvokeAsync("SendChat", visit.VisitId, "client-42", "Can you hear me?");
        await back.InvokeAsync("SendChat", visit.VisitId, "client-43", "after");
        await visit.Nurse.WaitForAsync("ChatMessage", m => m.Str("clientMessageId") == "client-43");

        Assert.Equal(first.Str("messageId"), resent.Str("messageId"));
        Assert.Equal(first.Str("messageId"), replayed.Str("messageId"));
        Assert.Single(visit.Nurse.Events("ChatMessage"), m => m.Str("clientMessageId") == "client-42");
    }
}
