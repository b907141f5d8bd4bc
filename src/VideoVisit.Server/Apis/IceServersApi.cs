using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using VideoVisit.Media;
using VideoVisit.Media.Hosting;
using VideoVisit.Server.Auth;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Apis;

/// <summary>
/// <c>GET /api/ice-servers</c>: STUN, and TURN over UDP and TCP, then TURN over TLS when the relay
/// has a TLS port (its own, or the server's HTTPS port with <c>Turn:OnePort</c>), with time-limited
/// credentials in the TURN REST scheme (username <c>&lt;expiry&gt;:&lt;person-id&gt;</c>).
/// </summary>
internal static class IceServersApi
{
    public static RouteGroupBuilder MapIceServersApi(this RouteGroupBuilder api)
    {
        api.MapGet("/ice-servers", (HttpContext http, VisitService visits, IOptions<TurnOptions> turnOptions, TurnRelayStatus relay, TimeProvider time) =>
        {
            Person me;
            try
            {
                me = visits.MeOrGuest(http.User.PersonId());
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
            List<string> turnUrls = ["turn:" + hostPort + "?transport=udp", "turn:" + hostPort + "?transport=tcp"];
            if (TlsPort(http, turn, relay) is { } tlsPort)
            {
                // TLS needs the name the certificate carries: Turn:TlsHost, else the relay's address or the host the browser reached.
                var tlsHost = string.IsNullOrWhiteSpace(turn.TlsHost) ? host : turn.TlsHost;
                turnUrls.Add("turns:" + tlsHost + ":" + tlsPort.ToString(CultureInfo.InvariantCulture) + "?transport=tcp");
            }

            return Results.Ok(new[]
            {
                new IceServer(["stun:" + hostPort], null, null),
                new IceServer(turnUrls, username, password),
            });
        });
        return api;
    }

    /// <summary>
    /// The port TURN over TLS answers on: with <c>Turn:OnePort</c> the HTTPS port this request came in
    /// on; else the relay's TLS listener (its bound port, so port 0 in tests works); null without TLS.
    /// </summary>
    private static int? TlsPort(HttpContext http, TurnOptions turn, TurnRelayStatus relay)
    {
        if (turn.TlsPort is not { } configured)
        {
            return null;
        }

        if (turn.OnePort)
        {
            return http.Request.IsHttps ? http.Connection.LocalPort : configured;
        }

        return relay.TlsEndPoint?.Port ?? (configured > 0 ? configured : null);
    }

    /// <summary>An RTCIceServer dictionary.</summary>
    internal sealed record IceServer(
        IReadOnlyList<string> Urls,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Username,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Credential);
}
