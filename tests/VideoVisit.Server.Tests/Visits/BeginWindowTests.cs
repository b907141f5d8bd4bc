using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Tests.Visits;

public sealed class BeginWindowTests
{
    private readonly World _w = new();

    [Fact]
    public async Task BeginBeforeTheWindowOpensIsRefusedWithTheOpeningTime()
    {
        _w.Time.Now = World.Start - TimeSpan.FromMinutes(15) - TimeSpan.FromSeconds(1);

        var refused = await Assert.ThrowsAsync<VisitException>(() => _w.Begin("patient-1")).WaitAsync(World.Timeout);

        Assert.Equal(VisitError.OutsideWindow, refused.Error);
        Assert.Contains("2026-11-22 09:45 UTC", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BeginOpensExactlyFifteenMinutesBeforeTheStart()
    {
        _w.Time.Now = World.Start - TimeSpan.FromMinutes(15);

        Assert.Equal("waiting", (await _w.Begin("patient-1").WaitAsync(World.Timeout)).State);
    }

    [Fact]
    public async Task BeginStaysOpenUntilTheGraceAfterTheEnd()
    {
        _w.Time.Now = World.Start + TimeSpan.FromMinutes(30 + 30);

        Assert.Equal("admitted", (await _w.Begin("nurse-1").WaitAsync(World.Timeout)).State);
    }

    [Fact]
    public async Task BeginAfterTheGraceIsRefusedAsOver()
    {
        _w.Time.Now = World.Start + TimeSpan.FromMinutes(30 + 30) + TimeSpan.FromSeconds(1);

        var refused = await Assert.ThrowsAsync<VisitException>(() => _w.Begin("nurse-1")).WaitAsync(World.Timeout);

        Assert.Equal(VisitError.OutsideWindow, refused.Error);
        Assert.Contains("over", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheWindowIsConfigurable()
    {
        var w = new World(new VisitOptions { BeginOpensMinutesBefore = 60 });
        w.Time.Now = World.Start - TimeSpan.FromMinutes(59);

        Assert.Equal("waiting", (await w.Begin("patient-1").WaitAsync(World.Timeout)).State);
    }

    [Fact]
    public async Task ASeatHeldInsideTheWindowResumesAfterTheWindowCloses()
    {
        _w.Time.Now = World.Start + TimeSpan.FromMinutes(59);
        var nurse = await _w.Begin("nurse-1").WaitAsync(World.Timeout);
        await _w.Service.DisconnectedAsync("conn-nurse-1").WaitAsync(World.Timeout);
        _w.Time.Advance(TimeSpan.FromSeconds(30));

        var resumed = await _w.Begin("nurse-1", connection: "conn-nurse-1b").WaitAsync(World.Timeout);

        Assert.Equal(nurse.ParticipantId, resumed.ParticipantId);
        Assert.Equal("admitted", resumed.State);
    }

    [Fact]
    public void UpcomingTellsWhenBeginOpensAndWhyItCannotYet()
    {
        _w.Time.Now = World.Start - TimeSpan.FromHours(1);

        var upcoming = _w.Service.Upcoming("patient-1");

        var appt1 = upcoming.Single(u => u.Appointment.Id == "appt-1");
        Assert.False(appt1.CanBegin);
        Assert.Equal(World.Start - TimeSpan.FromMinutes(15), appt1.BeginOpensAt);
        Assert.NotNull(appt1.CannotBeginReason);
        _w.Time.Now = World.Start - TimeSpan.FromMinutes(10);
        Assert.True(_w.Service.Upcoming("patient-1").Single(u => u.Appointment.Id == "appt-1").CanBegin);
    }
}
