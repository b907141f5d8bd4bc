namespace VideoVisit.Server.Tests.Integration;

/// <summary>Signals travel only between participants admitted to the same visit.</summary>
public sealed class SignallingIsolationTests
{
    [Fact]
    public async Task WaitingPatientCannotSendOfferAndTheNurseReceivesNothing()
    {
        await using var server = await VisitServer.StartAsync();
        await using var visit = await VisitScenario.StartAsync(server, admit: false);

        var error = await visit.Patient.InvokeExpectingErrorAsync("SendSignal", visit.VisitId, visit.NurseId, "offer", new { sdp = "x" });

        Assert.Contains("admitted", error, StringComparison.Ordinal);
        await AssertNothingDeliveredAsync(visit.Nurse, visit);
    }

    [Fact]
    public async Task NurseCannotSignalSomeoneStillWaiting()
    {
        await using var server = await VisitServer.StartAsync();
        await using var visit = await VisitScenario.StartAsync(server, admit: false);

        var error = await visit.Nurse.InvokeExpectingErrorAsync("SendSignal", visit.VisitId, visit.PatientId, "offer", new { sdp = "x" });

        Assert.Contains("not in the call", error, StringComparison.Ordinal);
        Assert.Empty(visit.Patient.Events("Signal"));
    }

    [Fact]
    public async Task RemovedParticipantCannotSignalOrComeBack()
    {
        await using var server = await VisitServer.StartAsync();
        await using var visit = await VisitScenario.StartAsync(server, admit: true);

        await visit.Nurse.InvokeAsync("Remove", visit.VisitId, visit.PatientId);
        var removed = await visit.Patient.WaitForAsync("Removed");
        Assert.Equal("removed", removed.Str("reason"));

        var error = await visit.Patient.InvokeExpectingErrorAsync("SendSignal", visit.VisitId, visit.NurseId, "offer", new { sdp = "x" });
        Assert.Contains("not in this visit", error, StringComparison.Ordinal);
        var again = await visit.Patient.InvokeExpectingErrorAsync("BeginVisit", "appt-1", null);
        Assert.Contains("removed", again, StringComparison.Ordinal);
        await using var otherDevice = await server.ConnectAsync("patient-1");
        Assert.Contains("removed", await otherDevice.InvokeExpectingErrorAsync("BeginVisit", "appt-1", null), StringComparison.Ordinal);
        await AssertNothingDeliveredAsync(visit.Nurse, visit);
    }

    [Fact]
    public async Task ParticipantOfAnotherVisitCannotSignalIntoThisOne()
    {
        await using var server = await VisitServer.StartAsync();
        await using var visit = await VisitScenario.StartAsync(server, admit: true);
        await using var other = await VisitScenario.StartAsync(server, admit: true, appointmentId: "appt-2", patient: "patient-2", professional: "doctor-2");

        var intoVisitId = await other.Patient.InvokeExpectingErrorAsync("SendSignal", visit.VisitId, visit.NurseId, "offer", new { sdp = "x" });
        var viaOwnVisit = await other.Nurse.InvokeExpectingErrorAsync("SendSignal", other.VisitId, visit.PatientId, "offer", new { sdp = "x" });

        Assert.Contains("not in this visit", intoVisitId, StringComparison.Ordinal);
        Assert.Contains("not in the call", viaOwnVisit, StringComparison.Ordinal);
        await AssertNothingDeliveredAsync(visit.Nurse, visit);
        await visit.Patient.WaitForAsync("ChatMessage", m => m.Str("text") == "marker");
        Assert.Empty(visit.Patient.Events("Signal"));
    }

    /// <summary>
    /// A signal the target did get arrives after anything sent before it on the same connection, so
    /// once this marker is in, an earlier forbidden signal would have been too.
    /// </summary>
    private static async Task AssertNothingDeliveredAsync(HubClient target, VisitScenario visit)
    {
        await visit.Nurse.InvokeAsync("SendChat", visit.VisitId, "marker-" + Guid.NewGuid(), "marker");
        await target.WaitForAsync("ChatMessage", m => m.Str("text") == "marker");
        Assert.Empty(target.Events("Signal"));
    }
}
