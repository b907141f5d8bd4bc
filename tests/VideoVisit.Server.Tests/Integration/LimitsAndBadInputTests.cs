using System.Text.Json;

namespace VideoVisit.Server.Tests.Integration;

/// <summary>Oversized and malformed input is refused clearly and everyone else carries on.</summary>
public sealed class LimitsAndBadInputTests
{
    [Fact]
    public async Task SignalOver64KiBIsRefusedAndTheConnectionCarriesOn()
    {
        await using var server = await VisitServer.StartAsync();
        await using var visit = await VisitScenario.StartAsync(server, admit: true);

        var error = await visit.Nurse.InvokeExpectingErrorAsync("SendSignal", visit.VisitId, visit.PatientId, "offer", new { sdp = new string('a', 70 * 1024) });
        await visit.Nurse.InvokeAsync("SendSignal", visit.VisitId, visit.PatientId, "offer", new { sdp = new string('b', 60 * 1024) });

        Assert.Contains("64 KiB", error, StringComparison.Ordinal);
        var delivered = await visit.Patient.WaitForAsync("Signal");
        Assert.Equal(60 * 1024, delivered.GetProperty("payload").Str("sdp").Length);
        Assert.Single(visit.Patient.Events("Signal"));
    }

    [Fact]
    public async Task MessageOverTheHubLimitClosesOnlyThatConnectionAndTheSeatCanBeResumed()
    {
        await using var server = await VisitServer.StartAsync(new Dictionary<string, string?> { ["Visits:ReconnectGraceSeconds"] = "30" });
        await using var visit = await RawPatientVisit.StartAsync(server);
        await using var other = await VisitScenario.StartAsync(server, admit: true, appointmentId: "appt-2", patient: "patient-2", professional: "doctor-2");

        await visit.Patient.SendRawAsync(JsonSerializer.Serialize(new { type = 1, invocationId = "big", target = "SendSignal", arguments = new object[] { visit.VisitId, visit.NurseId, "offer", new string('x', 200 * 1024) } }) + RawHubSocket.RecordSeparator);
        await visit.Patient.WaitClosedAsync();

        await visit.Nurse.WaitForStateAsync(s => s.StateOf(visit.PatientId) == "reconnecting");
        await other.Nurse.InvokeAsync("SendSignal", other.VisitId, other.PatientId, "offer", new { sdp = "still fine" });
        await other.Patient.WaitForAsync("Signal");
        await using var back = await server.ConnectAsync("patient-1");
        Assert.Equal("admitted", (await back.InvokeAsync("BeginVisit", "appt-1", null)).Str("state"));
    }

    [Fact]
    public async Task ArgumentsOfTheWrongTypeOrUnknownMethodsAreErrorsAndTheConnectionCarriesOn()
    {
        await using var server = await VisitServer.StartAsync();
        await using var visit = await VisitScenario.StartAsync(server, admit: true);

        var wrongTypes = await visit.Nurse.InvokeExpectingErrorAsync("Admit", 42, new { nested = true });
        var tooFew = await visit.Nurse.InvokeExpectingErrorAsync("SendSignal", visit.VisitId);
        var unknown = await visit.Nurse.InvokeExpectingErrorAsync("DropAllTables", visit.VisitId);
        var badKind = await visit.Nurse.InvokeExpectingErrorAsync("SendSignal", visit.VisitId, visit.PatientId, "pranswer", "{}");
        var emptyChat = await visit.Nurse.InvokeExpectingErrorAsync("SendChat", visit.VisitId, "c1", "   ");
        var longChat = await visit.Nurse.InvokeExpectingErrorAsync("SendChat", visit.VisitId, "c2", new string('x', 2001));
        var noClientId = await visit.Nurse.InvokeExpectingErrorAsync("SendChat", visit.VisitId, "", "hi");
        var precheckNotObject = await visit.Patient.InvokeExpectingErrorAsync("ReportPrecheck", visit.VisitId, "ready");
        var precheckTooBig = await visit.Patient.InvokeExpectingErrorAsync("ReportPrecheck", visit.VisitId, new { state = "ready", junk = new string('j', 5000) });
        var unknownTarget = await visit.Nurse.InvokeExpectingErrorAsync("SendSignal", visit.VisitId, "p-nobody", "offer", "{}");
        var unknownVisit = await visit.Nurse.InvokeExpectingErrorAsync("SendChat", "v-nothing", "c3", "hi");
        var unknownAppointment = await visit.Nurse.InvokeExpectingErrorAsync("BeginVisit", "appt-404", null);
        var nullAppointment = await visit.Nurse.InvokeExpectingErrorAsync("BeginVisit", null, null);

        Assert.Contains("Failed to invoke 'Admit'", wrongTypes, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(tooFew));
        Assert.Contains("does not exist", unknown, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Unknown signal kind", badKind, StringComparison.Ordinal);
        Assert.Contains("empty", emptyChat, StringComparison.Ordinal);
        Assert.Contains("2000", longChat, StringComparison.Ordinal);
        Assert.Contains("client message id", noClientId, StringComparison.Ordinal);
        Assert.Contains("JSON object", precheckNotObject, StringComparison.Ordinal);
        Assert.Contains("4096", precheckTooBig, StringComparison.Ordinal);
        Assert.Contains("not in the call", unknownTarget, StringComparison.Ordinal);
        Assert.Contains("not in this visit", unknownVisit, StringComparison.Ordinal);
        Assert.Contains("no such appointment", unknownAppointment, StringComparison.Ordinal);
        Assert.Contains("no such appointment", nullAppointment, StringComparison.Ordinal);
        Assert.False(visit.Nurse.IsClosed);
        await visit.Nurse.InvokeAsync("SendSignal", visit.VisitId, visit.PatientId, "offer", new { sdp = "after the errors" });
        await visit.Patient.WaitForAsync("Signal");
    }

    [Fact]
    public async Task GarbageThatIsNotJsonClosesOnlyThatConnection()
    {
        await using var server = await VisitServer.StartAsync();
        await using var visit = await RawPatientVisit.StartAsync(server);
        await using var other = await VisitScenario.StartAsync(server, admit: true, appointmentId: "appt-2", patient: "patient-2", professional: "doctor-2");

        await visit.Patient.SendRawAsync("{this is not json" + RawHubSocket.RecordSeparator);
        await visit.Patient.WaitClosedAsync();

        await other.Patient.InvokeAsync("SendSignal", other.VisitId, other.NurseId, "answer", new { sdp = "fine" });
        await other.Nurse.WaitForAsync("Signal");
        await visit.Nurse.WaitForStateAsync(s => s.StateOf(visit.PatientId) == "reconnecting");
    }

    [Fact]
    public async Task SignalFloodIsRateLimitedAndTheConnectionCarriesOn()
    {
        await using var server = await VisitServer.StartAsync(new Dictionary<string, string?>
        {
            ["Visits:SignalBurst"] = "20",
            ["Visits:SignalsPerSecond"] = "1",
        });
        await using var visit = await VisitScenario.StartAsync(server, admit: true);

        var refused = 0;
        for (var i = 0; i < 40; i++)
        {
            try
            {
                await visit.Nurse.InvokeAsync("SendSignal", visit.VisitId, visit.PatientId, "ice", new { candidate = "c" + i });
            }
            catch (HubCallFailedException ex) when (ex.Message.Contains("Too many", StringComparison.Ordinal))
            {
                refused++;
            }
        }

        // 20 at once, then one a second: however slow this machine is today, most of the 40 are refused.
        Assert.InRange(refused, 10, 20);
        await visit.Patient.WaitForAsync("Signal", s => s.GetProperty("payload").Str("candidate") == "c19");
        await visit.Nurse.InvokeAsync("SendChat", visit.VisitId, "marker", "marker");
        await visit.Patient.WaitForAsync("ChatMessage", m => m.Str("text") == "marker");
        Assert.Equal(40 - refused, visit.Patient.Events("Signal").Count);
        await Task.Delay(TimeSpan.FromMilliseconds(1200));
        await visit.Nurse.InvokeAsync("SendSignal", visit.VisitId, visit.PatientId, "ice", new { candidate = "later" });
    }
}

/// <summary>appt-1 with the nurse on the official client and patient-1, admitted, on a raw socket that can send bad frames.</summary>
internal sealed record RawPatientVisit(HubClient Nurse, string NurseId, RawHubSocket Patient, string PatientId, string VisitId) : IAsyncDisposable
{
    public static async Task<RawPatientVisit> StartAsync(VisitServer server)
    {
        var patient = await RawHubSocket.ConnectAsync(server.BaseAddress, await server.TokenAsync("patient-1"));
        var nurse = await server.ConnectAsync("nurse-1");
        var knocked = await patient.InvokeAsync("BeginVisit", "appt-1", null);
        var opened = await nurse.InvokeAsync("BeginVisit", "appt-1", null);
        var visit = new RawPatientVisit(nurse, opened.Str("participantId"), patient, knocked.Str("participantId"), knocked.Str("visitId"));
        await nurse.InvokeAsync("Admit", visit.VisitId, visit.PatientId);
        await nurse.WaitForStateAsync(s => s.StateOf(visit.PatientId) == "admitted");
        return visit;
    }

    public async ValueTask DisposeAsync()
    {
        await Nurse.DisposeAsync();
        await Patient.DisposeAsync();
    }
}
