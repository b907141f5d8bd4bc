using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.SignalR;

namespace VideoVisit.Server.Fhir;

internal static class FhirExtensions
{
    /// <summary>The FHIR API, people from tokens, and the live effects of its writes on open pages.</summary>
    public static WebApplicationBuilder AddFhir(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<FhirOptions>().BindConfiguration(FhirOptions.SectionName)
            .Validate(o => o.MaxRequestBytes > 0 && o.MaxBundleEntries > 0 && o.DefaultCount > 0 && o.MaxCount >= o.DefaultCount, "Fhir:MaxRequestBytes, Fhir:MaxBundleEntries, Fhir:DefaultCount must be positive and Fhir:MaxCount at least Fhir:DefaultCount.")
            .ValidateOnStart();
        builder.Services.AddOptions<PersonTokenOptions>().BindConfiguration("Auth")
            .Validate(o => string.IsNullOrEmpty(o.PersonIdentifierSystem) || !string.IsNullOrWhiteSpace(o.PersonIdentifierClaim), "Auth:PersonIdentifierClaim is required with Auth:PersonIdentifierSystem.")
            .ValidateOnStart();
        builder.Services.AddSingleton<FhirWriter>();
        builder.Services.AddSingleton<CatalogChanges>();
        builder.Services.AddSingleton<DevClientTokens>();
        builder.Services.AddSingleton<Presence>();
        builder.Services.AddSingleton<IUserIdProvider, PersonUserIdProvider>();
        builder.Services.AddSingleton<IClaimsTransformation, PersonClaims>();
        builder.Services.Configure<HubOptions>(hub => hub.AddFilter<Presence>());
        return builder;
    }
}
