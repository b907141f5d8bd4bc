namespace VideoVisit.Server.Fhir;

/// <summary>The names this server defines for its FHIR API (published in the CapabilityStatement and the README).</summary>
internal static class FhirConstants
{
    public const string ContentType = "application/fhir+json";

    public const string Base = "https://videovisit.example.org/fhir";

    /// <summary>CodeSystem of the representation scopes, used in <c>RelatedPerson.relationship</c>.</summary>
    public const string ScopeSystem = Base + "/CodeSystem/representation-scope";

    /// <summary>
    /// Extension on a child's Patient: the non-disclosure marking. Its <c>valueReference</c> names the one
    /// guardian (a RelatedPerson) who may still act for the child; every other guardian loses access.
    /// </summary>
    public const string NonDisclosureExtension = Base + "/StructureDefinition/non-disclosure-holder";

    /// <summary>Extension on an Appointment: seats for non-professionals (<c>valuePositiveInt</c>, 1..16).</summary>
    public const string CapacityExtension = Base + "/StructureDefinition/visit-capacity";

    /// <summary>The resource types this server takes, in the order a transaction applies them (what is referenced comes first).</summary>
    public static readonly string[] Types = ["Organization", "Patient", "Practitioner", "PractitionerRole", "RelatedPerson", "Appointment"];

    public static readonly string[] PersonTypes = ["Patient", "Practitioner", "RelatedPerson"];

    public static int Order(string type) => Array.IndexOf(Types, type);
}
