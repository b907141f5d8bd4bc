using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using VideoVisit.Media;
using VideoVisit.Server.Auth;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Apis;

/// <summary>
/// <c>GET /api/ice-servers</c>: STUN, and TURN over UDP and TCP, for the relay, with time-limited
/// credentials in the TURN REST scheme (username <c>&lt;expiry&gt;:&lt;person-id&gt;</c>).
/// </summary>
internal static class IceServersApi
{
    public static RouteGroupBuilder MapIceServersApi(this RouteGroupBuilder api)
    {
        api.MapGet("/ice-servers", (HttpContext http, VisitService visits, IOptions<TurnOptions> turnOptions, TimeProvider time) =>
        {
            Person me;
            try
            {
                me = visits.Me(http.User.PersonId());
            }
            catch (VisitException refused)
            {
                return Problems.From(refused);
            }

            var turn = turnOptions.Value;
            var host = string.IsNullOrWhiteSpace(turn.RelayAddress) ? http.Request.Host.Host : turn.RelayAddress;
            if ((!turn.Enabled && string.IsNullOrWhiteSpace(turn.RelayAddress)) || string.IsNullOrWhiteSpace(host) || string.IsNullOrEmpty(turn.SharedSecret))
            {
                return Results.Ok(Array.Empty<IceServer>());
            }

            if (host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('['))
            {
                host = "[" + host + "]"; // an IPv6 literal in a URI
            }

            var hostPort = host + ":" + turn.ListenPort.ToString(CultureInfo.InvariantCulture);
            var (username, password) = TurnRestCredentials.Issue(turn.SharedSecret, me.Id, time.GetUtcNow().AddSeconds(turn.CredentialLifetimeSeconds));
            http.Response.Headers.CacheControl = "no-store";
            return Results.Ok(new[]
            {
                new IceServer(["stun:" + hostPort], null, null),
                new IceServer(["turn:" + hostPort + "?transport=udp", "turn:" + hostPort + "?transport=tcp"], username, password),
            });
        });
        return api;
    }

    /// <summary>An RTCIceServer dictionary.</summary>
    internal sealed record IceServer(
        IReadOnlyList<string> Urls,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Username,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Credential);
}
