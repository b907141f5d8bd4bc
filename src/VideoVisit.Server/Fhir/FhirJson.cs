using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Hl7.Fhir.Serialization;

namespace VideoVisit.Server.Fhir;

/// <summary>Parsing (with the Firely SDK's validation of structure, cardinality and value formats) and serializing.</summary>
internal static class FhirJson
{
    private static readonly FhirJsonDeserializer Deserializer = new(new DeserializerSettings());
    private static readonly BaseFhirJsonSerializer Serializer = new(ModelInfo.ModelInspector);

    /// <summary>Parses and validates one resource; a refusal names what is wrong and where.</summary>
    public static Resource Parse(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8);
            return Deserializer.DeserializeResource(ref reader);
        }
        catch (DeserializationFailedException failed)
        {
            var outcome = failed.ToOperationOutcome();
            foreach (var issue in outcome.Issue)
            {
                issue.Diagnostics ??= issue.Details?.Text;
            }

            throw new FhirException(StatusCodes.Status400BadRequest, outcome);
        }
        catch (JsonException json)
        {
            throw FhirException.Invalid("The body is not valid JSON: " + json.Message);
        }
    }

    public static string Serialize(Base resource) => Serializer.SerializeToString(resource);

    public static byte[] SerializeToUtf8(Base resource) => Encoding.UTF8.GetBytes(Serialize(resource));
}
