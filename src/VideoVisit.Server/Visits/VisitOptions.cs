using System.ComponentModel.DataAnnotations;

namespace VideoVisit.Server.Visits;

/// <summary>Visit rules and limits, bound from the <c>Visits</c> configuration section.</summary>
public sealed class VisitOptions
{
    public const string SectionName = "Visits";

    /// <summary>How long before the scheduled start <em>Begin visit</em> opens.</summary>
    [Range(0, 24 * 60)]
    public int BeginOpensMinutesBefore { get; set; } = 15;

    /// <summary>How long after the scheduled end a visit may still be begun.</summary>
    [Range(0, 24 * 60)]
    public int BeginClosesMinutesAfterEnd { get; set; } = 30;

    /// <summary>How long a dropped connection keeps its seat.</summary>
    [Range(1, 3600)]
    public int ReconnectGraceSeconds { get; set; } = 60;

    /// <summary>How often seats whose grace has run out are released.</summary>
    [Range(50, 60_000)]
    public int GraceSweepMilliseconds { get; set; } = 1000;

    /// <summary>Seats for non-professionals in a 1:1 video appointment (the patient and a companion).</summary>
    [Range(1, 16)]
    public int VideoCapacity { get; set; } = 2;

    /// <summary>Seats for non-professionals in a group appointment unless the appointment says otherwise.</summary>
    [Range(1, 16)]
    public int GroupCapacity { get; set; } = 8;

    /// <summary>Seats for guests by invitation (interpreters, relatives) per visit, on top of <see cref="VideoCapacity"/> or the group's seats.</summary>
    [Range(0, 16)]
    public int GuestCapacity { get; set; } = 2;

    /// <summary>How long a guest's token lasts before the page renews it (never past its invitation's expiry).</summary>
    [Range(1, 60)]
    public int GuestTokenMinutes { get; set; } = 10;

    [Range(1, 20_000)]
    public int MaxChatLength { get; set; } = 2000;

    /// <summary>Largest signal payload (an SDP is at most 64 KiB).</summary>
    [Range(1024, 1024 * 1024)]
    public int MaxSignalPayloadBytes { get; set; } = 64 * 1024;

    /// <summary>Largest precheck report.</summary>
    [Range(256, 64 * 1024)]
    public int MaxPrecheckBytes { get; set; } = 4096;

    /// <summary>Sustained signals per second per connection.</summary>
    [Range(1, 100_000)]
    public int SignalsPerSecond { get; set; } = 50;

    /// <summary>Signals a connection may send in a burst (an ICE gathering burst, a restart).</summary>
    [Range(1, 100_000)]
    public int SignalBurst { get; set; } = 200;

    /// <summary>How far ahead Upcoming events looks (the store is asked by person and this window).</summary>
    [Range(1, 3660)]
    public int UpcomingDays { get; set; } = 60;

    /// <summary>The most appointments Upcoming events lists, soonest first.</summary>
    [Range(1, 10_000)]
    public int UpcomingLimit { get; set; } = 50;

    /// <summary>Chat messages a connection may send in a burst.</summary>
    [Range(1, 10_000)]
    public int ChatBurst { get; set; } = 20;

    /// <summary>Sustained chat messages per second per connection.</summary>
    [Range(1, 10_000)]
    public int ChatPerSecond { get; set; } = 1;

    /// <summary>Precheck reports a connection may send in a burst (a device check, then its path measurement, then a retry).</summary>
    [Range(1, 1000)]
    public int PrecheckBurst { get; set; } = 10;

    /// <summary>Sustained precheck reports per minute per connection.</summary>
    [Range(1, 6000)]
    public int PrechecksPerMinute { get; set; } = 6;

    /// <summary>The most chat messages one visit keeps; past it the chat refuses new messages.</summary>
    [Range(10, 1_000_000)]
    public int MaxChatMessagesPerVisit { get; set; } = 2000;

    public TimeSpan BeginOpensBefore => TimeSpan.FromMinutes(BeginOpensMinutesBefore);

    public TimeSpan BeginClosesAfterEnd => TimeSpan.FromMinutes(BeginClosesMinutesAfterEnd);

    public TimeSpan ReconnectGrace => TimeSpan.FromSeconds(ReconnectGraceSeconds);
}
