using VideoVisit.Server.Tests.Integration;

namespace VideoVisit.EndToEnd.Tests.Qa;

/// <summary>Scenario 15 needs a patient inside a call: the nurse opens the visit and admits them over the real hub.</summary>
public static class VisitAdmission
{
    public static async Task<HubClient> AdmitPatientAsync(IQaPage page, QaRun run, QaServerFixture server, string appointmentId = "appt-1")
    {
        var (nurseToken, _) = await server.SignInAsync("nurse-1");
        var nurse = await HubClient.ConnectAsync(server.BaseAddress, nurseToken);
        var opened = await nurse.InvokeAsync("BeginVisit", appointmentId, null);
        var visitId = opened.GetProperty("visitId").GetString()!;

        await page.ClickAsync("[data-testid=begin-video-visit]");
        var participantId = await run.WaitForAsync(
            "(() => { const v = document.querySelector('[data-visit-phase=waiting]'); return v ? v.getAttribute('data-participant-id') : ''; })()",
            TimeSpan.FromSeconds(20),
            "the patient to be waiting");
        await nurse.InvokeAsync("Admit", visitId, participantId);
        await run.WaitForAsync("document.querySelector('[data-visit-phase=admitted]') ? 'yes' : ''", TimeSpan.FromSeconds(20), "the patient to be admitted");
        return nurse;
    }
}
