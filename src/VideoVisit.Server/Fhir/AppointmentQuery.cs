using System.Globalization;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Microsoft.EntityFrameworkCore;
using VideoVisit.Server.Data;

namespace VideoVisit.Server.Fhir;

/// <summary>
/// An Appointment search: <c>patient</c>, <c>practitioner</c> (Type/id or id), <c>date</c> with
/// <c>ge</c>/<c>le</c> (on the start; as often as needed), <c>status</c> (comma-separated FHIR codes:
/// booked stands for every status kept on the calendar), <c>_count</c>. Anything else is refused, so a
/// typo does not silently widen the result.
/// </summary>
internal sealed class AppointmentQuery
{
    private static readonly HashSet<string> Known = new(["patient", "practitioner", "date", "status", "_count", "_format"], StringComparer.Ordinal);

    private string? _patient;
    private string? _practitioner;
    private long? _from;
    private long? _to;
    private List<string>? _statuses;
    private int _count;

    public static AppointmentQuery From(IQueryCollection query, FhirOptions options)
    {
        var q = new AppointmentQuery { _count = options.DefaultCount };
        foreach (var (name, values) in query)
        {
            if (!Known.Contains(name))
            {
                throw new FhirException(StatusCodes.Status400BadRequest, OperationOutcome.IssueType.NotSupported, $"Search parameter '{name}' is not supported on Appointment (supported: patient, practitioner, date with ge/le, status, _count).");
            }

            foreach (var value in values.OfType<string>())
            {
                switch (name)
                {
                    case "patient":
                        q._patient = Reference(value, "Patient");
                        break;
                    case "practitioner":
                        q._practitioner = Reference(value, "Practitioner");
                        break;
                    case "date":
                        Date(q, value);
                        break;
                    case "status":
                        q._statuses = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).SelectMany(Status).Distinct(StringComparer.Ordinal).ToList();
                        break;
                    case "_count":
                        q._count = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count)
                            ? Math.Min(count, options.MaxCount)
                            : throw FhirException.Invalid($"_count '{value}' is not a number.");
                        break;
                }
            }
        }

        return q;
    }

    public async Task<(int Total, IReadOnlyList<FhirResourceRow> Rows)> RunAsync(VideoVisitDb db, CancellationToken cancellationToken)
    {
        var appointments = db.Appointments.AsNoTracking().AsQueryable();
        if (_patient is { } patient)
        {
            var ids = db.AppointmentPatients.Where(p => p.PatientId == patient).Select(p => p.AppointmentId);
            appointments = appointments.Where(a => ids.Contains(a.Id));
        }

        if (_practitioner is { } practitioner)
        {
            appointments = appointments.Where(a => a.ProfessionalId == practitioner);
        }

        if (_from is { } from)
        {
            appointments = appointments.Where(a => a.StartTicks >= from);
        }

        if (_to is { } to)
        {
            appointments = appointments.Where(a => a.StartTicks <= to);
        }

        if (_statuses is { } statuses)
        {
            appointments = appointments.Where(a => statuses.Contains(a.Status));
        }

        var total = await appointments.CountAsync(cancellationToken);
        var page = await appointments.OrderBy(a => a.StartTicks).ThenBy(a => a.Id).Take(_count).Select(a => a.Id).ToListAsync(cancellationToken);
        var rows = await db.FhirResources.AsNoTracking().Where(r => r.ResourceType == "Appointment" && page.Contains(r.Id)).ToListAsync(cancellationToken);
        var order = page.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i, StringComparer.Ordinal);
        return (total, rows.OrderBy(r => order[r.Id]).ToList());
    }

    private static string Reference(string value, string type)
    {
        var prefix = type + "/";
        var id = value.StartsWith(prefix, StringComparison.Ordinal) ? value[prefix.Length..] : value;
        return id.Length > 0 && !id.Contains('/', StringComparison.Ordinal)
            ? id
            : throw FhirException.Invalid($"'{value}' is not a {type} reference ({type}/id or id).");
    }

    private static void Date(AppointmentQuery q, string value)
    {
        if (value.Length < 3)
        {
            throw FhirException.Invalid($"date '{value}' needs a ge or le prefix and a date or dateTime.");
        }

        var prefix = value[..2];
        if (prefix is not ("ge" or "le"))
        {
            throw new FhirException(StatusCodes.Status400BadRequest, OperationOutcome.IssueType.NotSupported, $"date prefix '{prefix}' is not supported: use ge or le.");
        }

        var text = value[2..];
        FhirDateTime instant;
        try
        {
            instant = new FhirDateTime(text);
            _ = instant.ToDateTimeOffset(TimeSpan.Zero);
        }
        catch (FormatException)
        {
            throw FhirException.Invalid($"date '{text}' is not a FHIR date or dateTime.");
        }
        catch (ArgumentException)
        {
            throw FhirException.Invalid($"date '{text}' is not a FHIR date or dateTime.");
        }

        if (!FhirDateTime.IsValidValue(text))
        {
            throw FhirException.Invalid($"date '{text}' is not a FHIR date or dateTime.");
        }

        // A partial date is a range: ge takes its first moment, le its last.
        var start = instant.ToDateTimeOffset(TimeSpan.Zero);
        if (prefix == "ge")
        {
            q._from = start.UtcTicks;
        }
        else
        {
            var end = text.Length switch
            {
                4 => start.AddYears(1),
                7 => start.AddMonths(1),
                10 => start.AddDays(1),
                _ => start.AddTicks(1),
            };
            q._to = end.UtcTicks - 1;
        }
    }

    private static IEnumerable<string> Status(string code) => code switch
    {
        "cancelled" or "noshow" => ["Cancelled"],
        "entered-in-error" => ["EnteredInError"],
        "booked" or "proposed" or "pending" or "arrived" or "fulfilled" or "checked-in" or "waitlist" => ["Booked"],
        _ => throw FhirException.Invalid($"status '{code}' is not an Appointment status."),
    };
}
