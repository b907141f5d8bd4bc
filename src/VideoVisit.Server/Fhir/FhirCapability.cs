using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using static Hl7.Fhir.Model.CapabilityStatement;

namespace VideoVisit.Server.Fhir;

/// <summary><c>GET /fhir/metadata</c>: exactly what this server supports, and the scope CodeSystem it defines.</summary>
internal static class FhirCapability
{
    public static CapabilityStatement Statement(string baseUrl)
    {
        var statement = new CapabilityStatement
        {
            Id = "videovisit",
            Url = FhirConstants.Base + "/CapabilityStatement/videovisit",
            Name = "VideoVisit",
            Title = "VideoVisit FHIR R4 API",
            Status = PublicationStatus.Active,
            Date = "2026-12-04",
            Kind = CapabilityStatementKind.Instance,
            Software = new SoftwareComponent { Name = "VideoVisit" },
            Implementation = new ImplementationComponent { Description = "Appointments, people and representation rights from the clinic's systems", Url = baseUrl },
            FhirVersion = FHIRVersion.N4_0_1,
            Format = ["application/fhir+json"],
            Contained = [ScopeCodeSystem()],
        };
        var rest = new RestComponent
        {
            Mode = RestfulCapabilityMode.Server,
            Documentation = "Writes need a bearer token with SMART system scopes (system/*.write or system/{Type}.write); reads need .read. " +
                "Cancel an Appointment by updating its status to cancelled, noshow or entered-in-error; revoke a RelatedPerson with active=false or an ended period. " +
                "RelatedPerson.relationship carries one code of the contained CodeSystem representation-scope. " +
                "A child's non-disclosure marking is the Patient extension " + FhirConstants.NonDisclosureExtension + " (valueReference: the RelatedPerson who holds it). " +
                "An Appointment's seats for non-professionals may be set with the extension " + FhirConstants.CapacityExtension + " (valuePositiveInt 1-16).",
            Security = new SecurityComponent
            {
                Service = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/restful-security-service", "SMART-on-FHIR")],
                Description = "OAuth2 bearer tokens with SMART system scopes (backend services).",
            },
            Interaction = [new SystemInteractionComponent { Code = SystemRestfulInteraction.Transaction, Documentation = "Bundle of type transaction with PUT Type/id and POST Type entries; all or nothing." }],
        };
        foreach (var type in FhirConstants.Types)
        {
            var resource = new ResourceComponent
            {
                Type = type,
                Versioning = ResourceVersionPolicy.VersionedUpdate,
                ReadHistory = false,
                UpdateCreate = true,
                ConditionalCreate = false,
                ConditionalUpdate = false,
                ConditionalDelete = ConditionalDeleteStatus.NotSupported,
                Interaction =
                [
                    new ResourceInteractionComponent { Code = TypeRestfulInteraction.Read },
                    new ResourceInteractionComponent { Code = TypeRestfulInteraction.Update, Documentation = "Client-assigned ids; If-Match with the ETag (W/\"n\") for versioned updates (stale: 412)." },
                    new ResourceInteractionComponent { Code = TypeRestfulInteraction.Create },
                ],
            };
            if (type == "Appointment")
            {
                resource.Interaction.Add(new ResourceInteractionComponent { Code = TypeRestfulInteraction.SearchType });
                resource.SearchParam =
                [
                    new CapabilityStatement.SearchParamComponent { Name = "patient", Type = SearchParamType.Reference },
                    new CapabilityStatement.SearchParamComponent { Name = "practitioner", Type = SearchParamType.Reference },
                    new CapabilityStatement.SearchParamComponent { Name = "date", Type = SearchParamType.Date, Documentation = "Prefixes ge and le only, on Appointment.start." },
                    new CapabilityStatement.SearchParamComponent { Name = "status", Type = SearchParamType.Token },
                    new CapabilityStatement.SearchParamComponent { Name = "_count", Type = SearchParamType.Number },
                ];
            }

            rest.Resource.Add(resource);
        }

        statement.Rest.Add(rest);
        return statement;
    }

    public static CodeSystem ScopeCodeSystem() => new()
    {
        Id = "representation-scope",
        Url = FhirConstants.ScopeSystem,
        Name = "RepresentationScope",
        Title = "What a representative may do on a patient's behalf",
        Status = PublicationStatus.Active,
        Content = CodeSystemContentMode.Complete,
        CaseSensitive = true,
        Concept =
        [
            new CodeSystem.ConceptDefinitionComponent { Code = "full", Display = "Full", Definition = "Everything the patient may do." },
            new CodeSystem.ConceptDefinitionComponent { Code = "appointments-and-messages", Display = "Appointments and messages", Definition = "May book, message and join visits; may not see diagnoses or medications." },
            new CodeSystem.ConceptDefinitionComponent { Code = "read-only", Display = "Read only", Definition = "May view; may not join or message." },
            new CodeSystem.ConceptDefinitionComponent { Code = "guardian", Display = "Guardian", Definition = "Guardian of a child: full rights while the child is under 18, unless the child's non-disclosure marking names another guardian." },
        ],
    };
}
