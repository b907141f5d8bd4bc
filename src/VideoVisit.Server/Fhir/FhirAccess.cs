using System.Security.Claims;
using Hl7.Fhir.Model;
using Claim = System.Security.Claims.Claim;
using Task = System.Threading.Tasks.Task;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using VideoVisit.Server.Data;

namespace VideoVisit.Server.Fhir;

/// <summary>
/// People from tokens (Contract v2): bound from the <c>Auth</c> section. When
/// <see cref="PersonIdentifierSystem"/> is set, the person is the one whose identifier in that system
/// equals the claim <see cref="PersonIdentifierClaim"/>; otherwise the token's <c>sub</c> is the person's id.
/// </summary>
internal sealed class PersonTokenOptions
{
    public string? PersonIdentifierSystem { get; set; }

    /// <summary>The claim carrying the identifier (e.g. a national identity number).</summary>
    public string PersonIdentifierClaim { get; set; } = "sub";
}

/// <summary>
/// Makes the token's <c>sub</c> the person's id for the rest of the server (API, hub): a client's
/// token (one with SMART system scopes) names no person at all, and with
/// <c>Auth:PersonIdentifierSystem</c> the identifier claim is looked up. Runs once per request.
/// </summary>
internal sealed class PersonClaims(IOptions<PersonTokenOptions> options, LiveCatalog catalog) : IClaimsTransformation
{
    public const string ClientClaim = "videovisit_client";
    private const string DoneClaim = "videovisit_person_resolved";

    public Task<ClaimsPrincipal> TransformAsync(ClaimsPrincipal principal)
    {
        // A guest's token (our own, for one visit) names a guest, not a catalog person: nothing to resolve.
        if (principal.Identity is not ClaimsIdentity { IsAuthenticated: true } identity || identity.HasClaim(c => c.Type == DoneClaim)
            || Auth.GuestTokens.IsGuest(principal))
        {
            return System.Threading.Tasks.Task.FromResult(principal);
        }

        var resolved = identity.Clone();
        resolved.AddClaim(new Claim(DoneClaim, "1"));
        var sub = resolved.FindFirst(JwtRegisteredClaimNames.Sub);
        if (FhirAccess.Scopes(principal).Any(s => s.StartsWith("system/", StringComparison.Ordinal)))
        {
            // A system (the clinic's EHR), never a person: it cannot use the people's API or the hub.
            if (sub is not null)
            {
                resolved.RemoveClaim(sub);
                resolved.AddClaim(new Claim(ClientClaim, sub.Value));
            }
        }
        else if (!string.IsNullOrEmpty(options.Value.PersonIdentifierSystem))
        {
            var value = resolved.FindFirst(options.Value.PersonIdentifierClaim)?.Value;
            // Asked each time (one indexed query): a person the clinic writes in a moment can sign in at once.
            var personId = value is null ? null : catalog.PersonIdByIdentifier(options.Value.PersonIdentifierSystem, value);
            if (sub is not null)
            {
                resolved.RemoveClaim(sub);
            }

            if (personId is not null)
            {
                resolved.AddClaim(new Claim(JwtRegisteredClaimNames.Sub, personId));
            }
        }

        return System.Threading.Tasks.Task.FromResult(new ClaimsPrincipal(resolved));
    }
}

/// <summary>SMART on FHIR system scopes: <c>system/{Type|*}.{read|write}</c> (v1) or <c>system/{Type|*}.{c,r,u,d,s}</c> (v2).</summary>
internal static class FhirAccess
{
    public static IEnumerable<string> Scopes(ClaimsPrincipal user) =>
        user.FindAll("scope").Concat(user.FindAll("scp")).SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    /// <summary>The calling system, for the audit trail.</summary>
    public static string ClientId(ClaimsPrincipal user) =>
        user.FindFirst("client_id")?.Value ?? user.FindFirst("azp")?.Value ?? user.FindFirst(PersonClaims.ClientClaim)?.Value ?? "unknown";

    /// <summary>Null when allowed; otherwise the 401 or 403 to answer.</summary>
    public static FhirException? Refusal(ClaimsPrincipal user, string resourceType, bool write)
    {
        if (user.Identity?.IsAuthenticated != true)
        {
            return new FhirException(StatusCodes.Status401Unauthorized, OperationOutcome.IssueType.Login, "A bearer token from the configured issuer is required (SMART system scopes, e.g. system/*.write).");
        }

        if (Auth.GuestTokens.IsGuest(user))
        {
            return new FhirException(StatusCodes.Status403Forbidden, OperationOutcome.IssueType.Forbidden, Auth.GuestRefusals.Title);
        }

        foreach (var scope in Scopes(user))
        {
            if (Grants(scope, resourceType, write))
            {
                return null;
            }
        }

        var needed = $"system/{resourceType}.{(write ? "write" : "read")}";
        return new FhirException(StatusCodes.Status403Forbidden, OperationOutcome.IssueType.Forbidden, $"The token lacks the scope for this: {needed} or system/*.{(write ? "write" : "read")}.");
    }

    private static bool Grants(string scope, string resourceType, bool write)
    {
        if (!scope.StartsWith("system/", StringComparison.Ordinal))
        {
            return false;
        }

        var rest = scope["system/".Length..];
        var dot = rest.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0)
        {
            return false;
        }

        var type = rest[..dot];
        var access = rest[(dot + 1)..];
        if (type != "*" && type != resourceType)
        {
            return false;
        }

        return access switch
        {
            "*" => true,
            "read" => !write,
            "write" => write,
            // SMART v2: c(reate) r(ead) u(pdate) d(elete) s(earch).
            _ when access.Length > 0 && access.All(ch => "cruds".Contains(ch, StringComparison.Ordinal)) =>
                write ? access.Contains('c', StringComparison.Ordinal) || access.Contains('u', StringComparison.Ordinal) : access.Contains('r', StringComparison.Ordinal) || access.Contains('s', StringComparison.Ordinal),
            _ => false,
        };
    }
}
