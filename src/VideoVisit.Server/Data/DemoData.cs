using System.Globalization;
using Microsoft.EntityFrameworkCore;

namespace VideoVisit.Server.Data;

/// <summary>
/// The demo people and appointments of Contract v1, seeded only in the embedded default
/// (<c>Demo:Seed</c>). Appointments start a few minutes after the server starts so they can be begun
/// at once; when a restarted demo finds them over, it moves them forward again.
/// </summary>
internal static class DemoData
{
    public const string UnitA = "health-station-a";
    public const string UnitB = "health-station-b";
    public const string BenchUnit = "bench-unit";
    private static readonly TimeSpan StartsIn = TimeSpan.FromMinutes(5);

    public static IReadOnlyDictionary<string, string> UnitNames { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [UnitA] = "Health Station A",
        [UnitB] = "Health Station B",
        [BenchUnit] = "Benchmark unit",
    };

    public static void Seed(VideoVisitDb db, DateTimeOffset now, int loadTestVisits, TimeSpan beginClosesAfterEnd)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        PersonRow[] people =
        [
            new() { Id = "nurse-1", DisplayName = "Nora Nurse", UnitId = UnitA },
            new() { Id = "doctor-2", DisplayName = "Dr. David Doctor", UnitId = UnitB },
            new() { Id = "patient-1", DisplayName = "Paula Patient", BirthDate = today.AddYears(-54) },
            new() { Id = "patient-2", DisplayName = "Peter Patient", BirthDate = today.AddYears(-37) },
            new() { Id = "patient-3", DisplayName = "Pia Patient", BirthDate = today.AddYears(-68) },
            new() { Id = "child-1", DisplayName = "Charlie Child", BirthDate = today.AddYears(-10).AddDays(-40), NonDisclosureHolderId = "guardian-1" },
            new() { Id = "guardian-1", DisplayName = "Greta Guardian", BirthDate = today.AddYears(-41) },
            new() { Id = "guardian-2", DisplayName = "Gustav Guardian", BirthDate = today.AddYears(-43) },
            new() { Id = "rep-full", DisplayName = "Rita Representative (full)", BirthDate = today.AddYears(-30) },
            new() { Id = "rep-appt", DisplayName = "Ralf Representative (appointments and messages)", BirthDate = today.AddYears(-33) },
            new() { Id = "rep-read", DisplayName = "Rosa Representative (read only)", BirthDate = today.AddYears(-29) },
        ];
        RepresentationRow[] rights =
        [
            new() { RepresentativeId = "rep-full", PersonId = "patient-1", Scope = "Full" },
            new() { RepresentativeId = "rep-appt", PersonId = "patient-1", Scope = "AppointmentsAndMessages" },
            new() { RepresentativeId = "rep-read", PersonId = "patient-1", Scope = "ReadOnly" },
            new() { RepresentativeId = "guardian-1", PersonId = "child-1", Scope = "Guardian" },
            new() { RepresentativeId = "guardian-2", PersonId = "child-1", Scope = "Guardian" },
        ];
        var start = now + StartsIn;
        AppointmentRow[] appointments =
        [
            Appointment("appt-1", start, TimeSpan.FromMinutes(30), "Video", UnitA, "nurse-1", "patient-1", 2),
            Appointment("appt-2", start, TimeSpan.FromMinutes(30), "Video", UnitB, "doctor-2", "patient-2", 2),
            Appointment("appt-group", start, TimeSpan.FromMinutes(60), "Group", UnitA, "nurse-1", "patient-1,patient-2,patient-3", 8),
            Appointment("appt-child", start, TimeSpan.FromMinutes(30), "Video", UnitA, "nurse-1", "child-1", 2),
        ];

        Upsert(db, people, rights, appointments, now, beginClosesAfterEnd);

        if (loadTestVisits > 0)
        {
            var benchPeople = new List<PersonRow>();
            var benchAppointments = new List<AppointmentRow>();
            for (var i = 0; i < loadTestVisits; i++)
            {
                var n = i.ToString(CultureInfo.InvariantCulture);
                benchPeople.Add(new() { Id = "bench-pro-" + n, DisplayName = "Bench professional " + n, UnitId = BenchUnit });
                benchPeople.Add(new() { Id = "bench-pat-" + n, DisplayName = "Bench patient " + n, BirthDate = today.AddYears(-40) });
                benchAppointments.Add(Appointment("bench-appt-" + n, start, TimeSpan.FromMinutes(60), "Video", BenchUnit, "bench-pro-" + n, "bench-pat-" + n, 2));
            }

            Upsert(db, benchPeople, [], benchAppointments, now, beginClosesAfterEnd);
        }
    }

    private static void Upsert(VideoVisitDb db, IReadOnlyList<PersonRow> people, IReadOnlyList<RepresentationRow> rights, IReadOnlyList<AppointmentRow> appointments, DateTimeOffset now, TimeSpan beginClosesAfterEnd)
    {
        var known = db.People.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        db.People.AddRange(people.Where(p => !known.Contains(p.Id)));
        var existingRights = db.Representations.AsNoTracking().AsEnumerable().Select(r => (r.RepresentativeId, r.PersonId)).ToHashSet();
        db.Representations.AddRange(rights.Where(r => !existingRights.Contains((r.RepresentativeId, r.PersonId))));
        var ids = appointments.Select(a => a.Id).ToList();
        var existing = db.Appointments.Where(a => ids.Contains(a.Id)).ToDictionary(a => a.Id, StringComparer.Ordinal);
        foreach (var appointment in appointments)
        {
            if (!existing.TryGetValue(appointment.Id, out var row))
            {
                db.Appointments.Add(appointment);
            }
            else if (row.End + beginClosesAfterEnd < now)
            {
                // A demo restarted after its appointments are over: offer them again (a new slot, so a new visit).
                row.Start = appointment.Start;
                row.End = appointment.End;
            }
        }

        db.SaveChanges();
    }

    private static AppointmentRow Appointment(string id, DateTimeOffset start, TimeSpan length, string kind, string unit, string professional, string patients, int capacity) => new()
    {
        Id = id,
        Start = start,
        End = start + length,
        Kind = kind,
        UnitId = unit,
        ProfessionalId = professional,
        PatientIds = patients,
        Capacity = capacity,
    };
}
