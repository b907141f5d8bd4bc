using System.Globalization;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Microsoft.EntityFrameworkCore;
using VideoVisit.Server.Fhir;
using FhirAppointment = Hl7.Fhir.Model.Appointment;

namespace VideoVisit.Server.Data;

/// <summary>
/// The demo people and appointments of Contract v1, seeded only in the embedded default
/// (<c>Demo:Seed</c>), written as FHIR resources through the same <see cref="FhirWriter"/> as the
/// clinic's systems (client id <c>demo-seed</c>). Appointments start a few minutes after the server
/// starts so they can be begun at once; a restarted demo writes what is missing, moves appointments
/// that are over forward again, and leaves everything else as the clinic's systems last wrote it.
/// </summary>
internal static class DemoData
{
    public const string ClientId = "demo-seed";
    public const string UnitA = "health-station-a";
    public const string UnitB = "health-station-b";
    public const string BenchUnit = "bench-unit";
    private static readonly TimeSpan StartsIn = TimeSpan.FromMinutes(5);

    public static async Task SeedAsync(VideoVisitDb db, FhirWriter writer, DateTimeOffset now, int loadTestVisits, TimeSpan beginClosesAfterEnd, CancellationToken cancellationToken)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var start = now + StartsIn;
        List<Resource> people =
        [
            Organization(UnitA, "Health Station A"),
            Organization(UnitB, "Health Station B"),
            Practitioner("nurse-1", "Nora", "Nurse"),
            Practitioner("doctor-2", "David", "Doctor", "Dr."),
            Role("nurse-1-" + UnitA, "nurse-1", UnitA),
            Role("doctor-2-" + UnitB, "doctor-2", UnitB),
            Patient("patient-1", "Paula", "Patient", today.AddYears(-54)),
            Patient("patient-2", "Peter", "Patient", today.AddYears(-37)),
            Patient("patient-3", "Pia", "Patient", today.AddYears(-68)),
            WithNonDisclosure(Patient("child-1", "Charlie", "Child", today.AddYears(-10).AddDays(-40)), "guardian-1"),
            Related("guardian-1", "Greta Guardian", "child-1", "guardian", today.AddYears(-41)),
            Related("guardian-2", "Gustav Guardian", "child-1", "guardian", today.AddYears(-43)),
            Related("rep-full", "Rita Representative (full)", "patient-1", "full", today.AddYears(-30)),
            Related("rep-appt", "Ralf Representative (appointments and messages)", "patient-1", "appointments-and-messages", today.AddYears(-33)),
            Related("rep-read", "Rosa Representative (read only)", "patient-1", "read-only", today.AddYears(-29)),
        ];
        List<FhirAppointment> appointments =
        [
            Appointment("appt-1", start, TimeSpan.FromMinutes(30), "nurse-1", "patient-1"),
            Appointment("appt-2", start, TimeSpan.FromMinutes(30), "doctor-2", "patient-2"),
            Appointment("appt-group", start, TimeSpan.FromMinutes(60), "nurse-1", "patient-1", "patient-2", "patient-3"),
            Appointment("appt-child", start, TimeSpan.FromMinutes(30), "nurse-1", "child-1"),
        ];

        if (loadTestVisits > 0)
        {
            people.Add(Organization(BenchUnit, "Benchmark unit"));
            for (var i = 0; i < loadTestVisits; i++)
            {
                var n = i.ToString(CultureInfo.InvariantCulture);
                people.Add(Practitioner("bench-pro-" + n, "Bench", "professional " + n));
                people.Add(Role("bench-pro-" + n + "-" + BenchUnit, "bench-pro-" + n, BenchUnit));
                people.Add(Patient("bench-pat-" + n, "Bench", "patient " + n, today.AddYears(-40)));
                appointments.Add(Appointment("bench-appt-" + n, start, TimeSpan.FromMinutes(60), "bench-pro-" + n, "bench-pat-" + n));
            }
        }

        var known = await db.FhirResources.AsNoTracking().Where(r => r.ResourceType != "Appointment").Select(r => r.ResourceType + "/" + r.Id).ToListAsync(cancellationToken);
        var knownSet = known.ToHashSet(StringComparer.Ordinal);
        var appointmentIds = appointments.Select(a => a.Id).ToList();
        var ends = await db.Appointments.AsNoTracking().Where(a => appointmentIds.Contains(a.Id)).Select(a => new { a.Id, a.EndTicks }).ToDictionaryAsync(a => a.Id, a => a.EndTicks, StringComparer.Ordinal, cancellationToken);
        var writes = people.Where(r => !knownSet.Contains(r.TypeName + "/" + r.Id))
            .Concat(appointments.Where(a => !ends.TryGetValue(a.Id!, out var endTicks) || new DateTimeOffset(endTicks, TimeSpan.Zero) + beginClosesAfterEnd < now))
            .Select(r => new FhirWrite(r, false, r.TypeName, r.Id, null))
            .ToList();
        if (writes.Count > 0)
        {
            await writer.WriteAsync(writes, ClientId, cancellationToken);
        }
    }

    private static Organization Organization(string id, string name) => new() { Id = id, Name = name, Active = true };

    private static Practitioner Practitioner(string id, string given, string family, string? prefix = null) => new()
    {
        Id = id,
        Name = [new HumanName { Given = [given], Family = family, Prefix = prefix is null ? [] : [prefix] }],
    };

    private static PractitionerRole Role(string id, string practitioner, string organization) => new()
    {
        Id = id,
        Active = true,
        Practitioner = new ResourceReference("Practitioner/" + practitioner),
        Organization = new ResourceReference("Organization/" + organization),
    };

    private static Patient Patient(string id, string given, string family, DateOnly born) => new()
    {
        Id = id,
        Name = [new HumanName { Given = [given], Family = family }],
        BirthDate = born.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
    };

    private static Patient WithNonDisclosure(Patient child, string guardian)
    {
        child.Extension.Add(new Extension(FhirConstants.NonDisclosureExtension, new ResourceReference("RelatedPerson/" + guardian)));
        return child;
    }

    private static RelatedPerson Related(string id, string name, string patient, string scope, DateOnly born) => new()
    {
        Id = id,
        Active = true,
        Patient = new ResourceReference("Patient/" + patient),
        Name = [new HumanName { Text = name }],
        BirthDate = born.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        Relationship = [new CodeableConcept(FhirConstants.ScopeSystem, scope)],
    };

    private static FhirAppointment Appointment(string id, DateTimeOffset start, TimeSpan length, string practitioner, params string[] patients)
    {
        var appointment = new FhirAppointment
        {
            Id = id,
            Status = FhirAppointment.AppointmentStatus.Booked,
            Start = start,
            End = start + length,
        };
        foreach (var patient in patients)
        {
            appointment.Participant.Add(new FhirAppointment.ParticipantComponent { Actor = new ResourceReference("Patient/" + patient), Status = ParticipationStatus.Accepted });
        }

        appointment.Participant.Add(new FhirAppointment.ParticipantComponent { Actor = new ResourceReference("Practitioner/" + practitioner), Status = ParticipationStatus.Accepted });
        return appointment;
    }
}
