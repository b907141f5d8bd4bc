using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace VideoVisit.Server.Fhir;

/// <summary>A FHIR request refused: answered as an OperationOutcome with <see cref="Status"/>; nothing was changed.</summary>
internal sealed class FhirException : Exception
{
    public FhirException(int status, OperationOutcome.IssueType code, string diagnostics)
        : base(diagnostics)
    {
        Status = status;
        Outcome = FhirOutcome.Error(code, diagnostics);
    }

    public FhirException(int status, OperationOutcome outcome)
        : base(outcome.Issue.FirstOrDefault()?.Diagnostics ?? "invalid")
    {
        Status = status;
        Outcome = outcome;
    }

    public FhirException()
        : this(StatusCodes.Status400BadRequest, OperationOutcome.IssueType.Invalid, "Invalid request.")
    {
    }

    public FhirException(string message)
        : this(StatusCodes.Status400BadRequest, OperationOutcome.IssueType.Invalid, message)
    {
    }

    public FhirException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = StatusCodes.Status400BadRequest;
        Outcome = FhirOutcome.Error(OperationOutcome.IssueType.Invalid, message);
    }

    public int Status { get; }

    public OperationOutcome Outcome { get; }

    /// <summary>The same refusal, located in a transaction Bundle's entry.</summary>
    public FhirException InEntry(int index) => new(Status, FhirOutcome.Prefix(Outcome, $"Bundle.entry[{index}]: "));

    public static FhirException Invalid(string diagnostics) => new(StatusCodes.Status400BadRequest, OperationOutcome.IssueType.Invalid, diagnostics);

    /// <summary>Valid FHIR that breaks a rule of this service (a business rule): 422.</summary>
    public static FhirException Unprocessable(string diagnostics, OperationOutcome.IssueType code = OperationOutcome.IssueType.BusinessRule) =>
        new(StatusCodes.Status422UnprocessableEntity, code, diagnostics);
}

internal static class FhirOutcome
{
    public static OperationOutcome Error(OperationOutcome.IssueType code, string diagnostics) => new()
    {
        Issue = [new OperationOutcome.IssueComponent { Severity = OperationOutcome.IssueSeverity.Error, Code = code, Diagnostics = diagnostics }],
    };

    public static OperationOutcome Prefix(OperationOutcome outcome, string prefix)
    {
        var copy = (OperationOutcome)outcome.DeepCopy();
        foreach (var issue in copy.Issue)
        {
            issue.Diagnostics = prefix + issue.Diagnostics;
        }

        return copy;
    }
}
