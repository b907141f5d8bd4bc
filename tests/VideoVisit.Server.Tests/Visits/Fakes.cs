using System.Text.Json;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Tests.Visits;

/// <summary>A clock the test moves by hand (pure logic only; integration tests use real time).</summary>
public sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;

    public override long GetTimestamp() => Now.UtcTicks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public void Advance(TimeSpan by) => Now += by;
}

public sealed class MemoryStore : IVisitStore
{
    public List<VisitEvent> Events { get; } = [];

    public List<StoredChat> Chat { get; } = [];

    public Dictionary<string, VisitStatus> Visits { get; } = [];

    public StoredVisit? FindVisit(string appointmentId, DateTimeOffset appointmentStart) => null;

    public Task SaveVisit(string visitId, Appointment appointment, VisitStatus status, DateTimeOffset at)
    {
        Visits[visitId] = status;
        return Task.CompletedTask;
    }

    public Task AppendEvent(VisitEvent visitEvent)
    {
        Events.Add(visitEvent);
        return Task.CompletedTask;
    }

    public Task SaveChat(StoredChat chat)
    {
        Chat.Add(chat);
        return Task.CompletedTask;
    }

    public Task SavePrecheck(string visitId, string participantId, string personId, PrecheckSummary summary, string reportJson) => Task.CompletedTask;

    public Dictionary<string, IReadOnlyList<StoredSeat>> Seats { get; } = [];

    public Task SaveSeats(string visitId, IReadOnlyList<StoredSeat> seats, long version)
    {
        Seats[visitId] = seats;
        return Task.CompletedTask;
    }

    public (string AppointmentId, DateTimeOffset AppointmentStart, StoredVisit Visit)? FindVisitById(string visitId) => null;

    public VisitStatus? FindStatus(string appointmentId, DateTimeOffset appointmentStart) => null;

    public Task FlushAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
}

public sealed class RecordingNotifier : IVisitNotifier
{
    public List<(string Connection, object Message)> Sent { get; } = [];

    public IEnumerable<T> To<T>(string connection) => Sent.Where(s => s.Connection == connection).Select(s => s.Message).OfType<T>();

    public VisitStateSnapshot LastState(string connection) => To<VisitStateSnapshot>(connection).Last();

    public Task VisitStateAsync(string connectionId, VisitStateSnapshot snapshot) => Record(connectionId, snapshot);

    public Task SignalAsync(string connectionId, SignalMessage message) => Record(connectionId, message);

    public Task ChatMessageAsync(string connectionId, ChatMessage message) => Record(connectionId, message);

    public Task RemovedAsync(string connectionId, RemovedMessage message) => Record(connectionId, message);

    public Task VisitEndedAsync(string connectionId, VisitEndedMessage message) => Record(connectionId, message);

    private Task Record(string connection, object message)
    {
        Sent.Add((connection, message));
        return Task.CompletedTask;
    }
}

/// <summary>The demo people of Contract v1 with appointments starting at <see cref="Start"/>.</summary>
public sealed class World : ICatalogSource
{
    public static readonly DateTimeOffset Start = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    /// <summary>Every await in these tests has it, though the domain under fakes completes at once.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public World(VisitOptions? options = null)
    {
        Options = options ?? new VisitOptions();
        Time = new ManualTime(Start - TimeSpan.FromMinutes(5));
        var today = DateOnly.FromDateTime(Start.UtcDateTime);
        Current = new Catalog(
            [
                new Person("nurse-1", "Nora Nurse", "health-station-a"),
                new Person("nurse-3", "Nils Nurse", "health-station-a"),
                new Person("doctor-2", "David Doctor", "health-station-b"),
                new Person("patient-1", "Paula", BirthDate: today.AddYears(-50)),
                new Person("patient-2", "Peter", BirthDate: today.AddYears(-40)),
                new Person("patient-3", "Pia", BirthDate: today.AddYears(-60)),
                new Person("child-1", "Charlie", BirthDate: today.AddYears(-10), NonDisclosureHolderId: "guardian-1"),
                new Person("child-2", "Casey", BirthDate: today.AddYears(-18).AddDays(1)),
                new Person("guardian-1", "Greta"),
                new Person("guardian-2", "Gustav"),
                new Person("rep-full", "Rita"),
                new Person("rep-appt", "Ralf"),
                new Person("rep-read", "Rosa"),
            ],
            [
                new Representation("rep-full", "patient-1", RepresentationScope.Full),
                new Representation("rep-appt", "patient-1", RepresentationScope.AppointmentsAndMessages),
                new Representation("rep-read", "patient-1", RepresentationScope.ReadOnly),
                new Representation("guardian-1", "child-1", RepresentationScope.Guardian),
                new Representation("guardian-2", "child-1", RepresentationScope.Guardian),
                new Representation("guardian-2", "child-2", RepresentationScope.Guardian),
                new Representation("patient-2", "patient-3", RepresentationScope.Full),
            ],
            [
                new Appointment("appt-1", Start, Start.AddMinutes(30), AppointmentKind.Video, "health-station-a", "nurse-1", ["patient-1"], 2),
                new Appointment("appt-2", Start, Start.AddMinutes(30), AppointmentKind.Video, "health-station-b", "doctor-2", ["patient-2"], 2),
                new Appointment("appt-group", Start, Start.AddMinutes(60), AppointmentKind.Group, "health-station-a", "nurse-1", ["patient-1", "patient-2", "patient-3"], 2),
                new Appointment("appt-child", Start, Start.AddMinutes(30), AppointmentKind.Video, "health-station-a", "nurse-1", ["child-1"], 2),
            ]);
        Service = new VisitService(this, Store, Notifier, Options, Time);
    }

    public Catalog Current { get; }

    public VisitOptions Options { get; }

    public ManualTime Time { get; }

    public MemoryStore Store { get; } = new();

    public RecordingNotifier Notifier { get; } = new();

    public VisitService Service { get; }

    public Person P(string id) => Current.FindPerson(id)!;

    /// <summary>Begin visit for <paramref name="person"/> on connection <c>conn-{person}</c>.</summary>
    public Task<BeginVisitResult> Begin(string person, string appointment = "appt-1", string? onBehalfOf = null, string? connection = null) =>
        Service.BeginVisitAsync(person, connection ?? "conn-" + person, appointment, onBehalfOf);

    /// <summary>appt-1 begun by patient-1 and nurse-1 (on their usual connections), and the patient admitted.</summary>
    public async Task<(BeginVisitResult Patient, BeginVisitResult Nurse)> AdmittedAsync()
    {
        var patient = await Begin("patient-1").WaitAsync(Timeout);
        var nurse = await Begin("nurse-1").WaitAsync(Timeout);
        await Service.AdmitAsync("nurse-1", "conn-nurse-1", nurse.VisitId, patient.ParticipantId).WaitAsync(Timeout);
        return (patient, nurse);
    }

    public VisitRoom Room(string visitId) => Service.FindRoom(visitId)!;

    public ParticipantState StateOf(string visitId, string participantId) => Room(visitId).Participants.Single(p => p.Id == participantId).State;

    public static JsonElement Payload(string json) => JsonDocument.Parse(json).RootElement.Clone();
}

/// <summary>
/// A visit whose <see cref="IVisit.Disconnected"/> fails its first <c>failures</c> calls with the given
/// exception and then reaches the real visit; everything else goes straight to the real visit.
/// </summary>
public class FlakyDisconnects : System.Reflection.DispatchProxy
{
    private IVisit _inner = null!;
    private Func<Exception> _failure = null!;
    private int _failures;

    /// <summary>How many times Disconnected was called, failed calls included.</summary>
    public int Attempts { get; private set; }

    public static (IVisit Visit, FlakyDisconnects Calls) Around(IVisit inner, int failures, Func<Exception> failure)
    {
        var visit = Create<IVisit, FlakyDisconnects>();
        var calls = (FlakyDisconnects)(object)visit;
        (calls._inner, calls._failures, calls._failure) = (inner, failures, failure);
        return (visit, calls);
    }

    protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args)
    {
        if (targetMethod!.Name == nameof(IVisit.Disconnected) && ++Attempts <= _failures)
        {
            return Task.FromException(_failure());
        }

        return targetMethod.Invoke(_inner, args);
    }
}
