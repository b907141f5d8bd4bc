using System.Text.Json;

namespace VideoVisit.Server.Tests.Integration;

/// <summary>The REST shapes of Contract v1 that the web app reads.</summary>
public sealed class ApiContractTests
{
    [Fact]
    public async Task DevPeopleListsEveryDemoPersonWithADescription()
    {
        await using var server = await VisitServer.StartAsync();

        var people = await server.GetJsonAsync("/api/dev/people", "unused");

        Assert.Equal(RightsMatrixTests.People.Order(StringComparer.Ordinal), people.EnumerateArray().Select(p => p.Str("id")).Order(StringComparer.Ordinal));
        Assert.All(people.EnumerateArray(), p => Assert.False(string.IsNullOrWhiteSpace(p.Str("displayName") + p.Str("description"))));
        Assert.Contains("non-disclosure", people.EnumerateArray().Single(p => p.Str("id") == "guardian-1").Str("description"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpcomingAppointmentsCarryTheContractFieldsAndCanBeBegunAtOnce()
    {
        await using var server = await VisitServer.StartAsync();

        var upcoming = await server.GetJsonAsync("/api/appointments/upcoming", await server.TokenAsync("patient-1"));

        var appt1 = upcoming.EnumerateArray().Single(a => a.Str("id") == "appt-1");
        Assert.Equal("video", appt1.Str("kind"));
        Assert.Equal("health-station-a", appt1.Str("unit"));
        Assert.Equal("nurse-1", appt1.GetProperty("professional").Str("id"));
        Assert.Equal(["patient-1"], appt1.GetProperty("patientIds").EnumerateArray().Select(p => p.GetString()));
        Assert.True(appt1.GetProperty("canBegin").GetBoolean());
        var start = appt1.GetProperty("start").GetDateTimeOffset();
        Assert.InRange(start - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(3), TimeSpan.FromMinutes(6));
        Assert.Equal(start - TimeSpan.FromMinutes(15), appt1.GetProperty("beginOpensAt").GetDateTimeOffset());
        Assert.True(appt1.GetProperty("end").GetDateTimeOffset() > start);
        Assert.Equal(JsonValueKind.Null, appt1.GetProperty("onBehalfOf").ValueKind);
        var group = upcoming.EnumerateArray().Single(a => a.Str("id") == "appt-group");
        Assert.Equal("group", group.Str("kind"));
        Assert.Equal(8, group.GetProperty("capacity").GetInt32());
    }

    [Fact]
    public async Task RepresentativesSeeOnWhoseBehalfAndGuardiansAreToldTheirRole()
    {
        await using var server = await VisitServer.StartAsync();

        var forRep = await server.GetJsonAsync("/api/appointments/upcoming", await server.TokenAsync("rep-appt"));
        var guardian = await server.GetJsonAsync("/api/me", await server.TokenAsync("guardian-1"));
        var nurse = await server.GetJsonAsync("/api/me", await server.TokenAsync("nurse-1"));

        Assert.All(forRep.EnumerateArray(), a => Assert.Equal("patient-1", a.Str("onBehalfOf")));
        Assert.Contains("guardian", guardian.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        var child = Assert.Single(guardian.GetProperty("represents").EnumerateArray());
        Assert.Equal("Guardian", child.Str("scope"));
        Assert.True(child.GetProperty("canAct").GetBoolean());
        Assert.Equal(["professional"], nurse.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("health-station-a", nurse.GetProperty("unit").Str("id"));
    }
}
