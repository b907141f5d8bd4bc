using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Apis;

internal static class Problems
{
    /// <summary>A refused request as RFC 9457 problem details with a user-safe title.</summary>
    public static IResult From(VisitException refused) => Results.Problem(
        title: refused.Message,
        statusCode: refused.Error switch
        {
            VisitError.NotFound => StatusCodes.Status404NotFound,
            VisitError.Forbidden => StatusCodes.Status403Forbidden,
            VisitError.Invalid or VisitError.TooLarge => StatusCodes.Status400BadRequest,
            VisitError.RateLimited => StatusCodes.Status429TooManyRequests,
            VisitError.Unavailable => StatusCodes.Status503ServiceUnavailable,
            _ => StatusCodes.Status409Conflict,
        });
}
