using Microsoft.Extensions.DependencyInjection;
using VideoVisit.Server.Data;
using VideoVisit.Server.Tests.Integration;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Tests.Hardening;

public sealed class EndedVisitTests
{
    [Fact]
    public async Task AnEndedVisitsChatIsNeverReadBackAndBeginningItIsRefused()
    {
        await using var server = await VisitServer.StartAsync();
        await using var visit = await VisitScenario.StartAsync(server, admit: true);
        for (var i = 0; i < 15; i++)
        {
            await visit.Patient.InvokeAsync("SendChat", visit.VisitId, "m" + i, "message " + i);
        }

        var store = server.Server.Services.GetRequiredService<EfVisitStore>();
        var appointment = server.Server.Services.GetRequiredService<ICatalogSource>().Current.FindAppointment("appt-1")!;
        await store.FlushAsync().WaitAsync(VisitServer.Timeout);
        Assert.Equal(15, store.FindVisit("appt-1", appointment.Start)!.Chat.Count);

        await visit.Nurse.InvokeAsync("EndVisit", visit.VisitId);
        await store.FlushAsync().WaitAsync(VisitServer.Timeout);
        var ended = store.FindVisit("appt-1", appointment.Start)!;
        await using var again = await server.ConnectAsync("patient-1");

        Assert.Equal(VisitStatus.Ended, ended.Status);
        Assert.Empty(ended.Chat);
        Assert.Contains("ended", await again.InvokeExpectingErrorAsync("BeginVisit", "appt-1", null), StringComparison.Ordinal);
    }
}
