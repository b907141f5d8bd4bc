using VideoVisit.Server.Auth;
using VideoVisit.Server.Fhir;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Apis;

/// <summary>
/// <c>/api/dev/*</c>: sign in as a seeded demo person. Mapped only while the development issuer is
/// enabled, so otherwise these paths are 404.
/// </summary>
internal static class DevIssuerApi
{
    public static WebApplication MapDevIssuerApi(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<DevTokenIssuer>().Enabled)
        {
            return app;
        }

        var dev = app.MapGroup("/api/dev").AllowAnonymous();
        dev.MapGet("/people", (ICatalogSource catalog, TimeProvider time) =>
            catalog.Current.People.OrderBy(p => p.Id, StringComparer.Ordinal).Select(p => new DevPerson(p.Id, p.DisplayName, Describe(catalog.Current, p, time.GetUtcNow()))));
        dev.MapPost("/token", (DevTokenRequest? request, ICatalogSource catalog, DevTokenIssuer issuer, DevClientTokens clients) =>
        {
            if (!string.IsNullOrWhiteSpace(request?.ClientId))
            {
                // A system such as the demo EHR: SMART system scopes for /fhir, and no person.
                var (clientToken, clientExpiresAt) = clients.Issue(request.ClientId, request.Scope);
                return Results.Ok(new DevTokenResponse(clientToken, clientExpiresAt));
            }

            var person = catalog.Current.FindPerson(request?.PersonId);
            if (person is null)
            {
                return Results.Problem(title: "No such demo person.", statusCode: StatusCodes.Status400BadRequest);
            }

            var (token, expiresAt) = issuer.Issue(person);
            return Results.Ok(new DevTokenResponse(token, expiresAt));
        });
        return app;
    }

    private static string Describe(Catalog catalog, Person person, DateTimeOffset now)
    {
        if (person.IsProfessional)
        {
            return "Professional, " + person.UnitId;
        }

        var rights = catalog.RepresentationsBy(person.Id).ToList();
        if (rights.Count == 0)
        {
            var age = Rights.AgeOn(person, now);
            return age is < Rights.AgeOfMajority ? $"Patient, child (age {age})" : "Patient";
        }

        return string.Join("; ", rights.Select(r => r.Scope == RepresentationScope.Guardian
            ? $"Guardian of {r.PersonId}" + (catalog.FindPerson(r.PersonId)?.NonDisclosureHolderId is { } holder ? (holder == person.Id ? " (holds the non-disclosure marking)" : " (non-disclosure marking held by " + holder + ")") : "")
            : $"Representative of {r.PersonId} ({r.Scope})"));
    }

    internal sealed record DevPerson(string Id, string DisplayName, string Description);

    internal sealed record DevTokenRequest(string? PersonId, string? ClientId = null, string? Scope = null);

    internal sealed record DevTokenResponse(string AccessToken, DateTimeOffset ExpiresAt);
}
