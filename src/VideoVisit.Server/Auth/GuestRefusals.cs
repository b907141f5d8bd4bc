using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace VideoVisit.Server.Auth;

/// <summary>A guest at a door that is not theirs gets a 403 with problem details saying why, not a bare status.</summary>
internal sealed class GuestRefusals : IAuthorizationMiddlewareResultHandler
{
    public const string Title = "A guest link opens only its own visit.";

    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden && GuestTokens.IsGuest(context.User))
        {
            return Results.Problem(title: Title, statusCode: StatusCodes.Status403Forbidden).ExecuteAsync(context);
        }

        return _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
