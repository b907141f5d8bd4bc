namespace VideoVisit.Server.Tests.Integration;

/// <summary>A visit with the nurse in it and the patient either waiting or admitted.</summary>
public sealed record VisitScenario(HubClient Nurse, string NurseId, HubClient Patient, string PatientId, string VisitId) : IAsyncDisposable
{
    public static async Task<VisitScenario> StartAsync(VisitServer server, bool admit, string appointmentId = "appt-1", string patient = "patient-1", string professional = "nurse-1")
    {
        var patientClient = await server.ConnectAsync(patient);
        var nurseClient = await server.ConnectAsync(professional);
        var knocked = await patientClient.InvokeAsync("BeginVisit", appointmentId, null);
        var opened = await nurseClient.InvokeAsync("BeginVisit", appointmentId, null);
        var scenario = new VisitScenario(nurseClient, opened.Str("participantId"), patientClient, knocked.Str("participantId"), knocked.Str("visitId"));
        if (admit)
        {
            await nurseClient.InvokeAsync("Admit", scenario.VisitId, scenario.PatientId);
            await patientClient.WaitForStateAsync(s => s.StateOf(scenario.PatientId) == "admitted");
        }

        return scenario;
    }

    public async ValueTask DisposeAsync()
    {
        await Nurse.DisposeAsync();
        await Patient.DisposeAsync();
    }
}
