using System.ComponentModel.DataAnnotations;

namespace VideoVisit.Media;

/// <summary>
/// The relay's settings, bound from the <c>Turn</c> configuration section (Contract v1:
/// <c>Turn:SharedSecret</c>, <c>Turn:Realm</c>, <c>Turn:ListenPort</c>, <c>Turn:RelayAddress</c>,
/// <c>Turn:AllowedPeers</c>, <c>Turn:Enabled</c>). The same shared secret signs the credentials
/// handed out by <c>GET /api/ice-servers</c>, so coturn with <c>use-auth-secret</c> and this relay
/// are interchangeable.
/// </summary>
public sealed class TurnOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Turn";

    /// <summary>Whether the server process hosts the relay.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The TURN REST API shared secret. When empty, the hosting process generates a random one at
    /// start (fine for the embedded relay, but an external relay then cannot accept the credentials).
    /// </summary>
    public string SharedSecret { get; set; } = "";

    /// <summary>The long-term credential realm (RFC 8489 §9.2).</summary>
    [Required]
    public string Realm { get; set; } = "videovisit";

    /// <summary>UDP and TCP port of the STUN/TURN listener.</summary>
    [Range(1, 65535)]
    public int ListenPort { get; set; } = 3478;

    /// <summary>The address the listeners bind to.</summary>
    public string ListenAddress { get; set; } = "0.0.0.0";

    /// <summary>
    /// The address put in XOR-RELAYED-ADDRESS and the host name clients are told to use in ICE
    /// server URLs. Empty: the listen address (or the request's host name for ICE URLs).
    /// </summary>
    public string RelayAddress { get; set; } = "";

    /// <summary>
    /// CIDR ranges that override the deny list of loopback, private, link-local and other special
    /// peer addresses (e.g. <c>127.0.0.0/8</c> in tests). Empty by default: secure.
    /// </summary>
    public IList<string> AllowedPeers { get; } = [];

    /// <summary>How long credentials handed out by <c>GET /api/ice-servers</c> stay valid.</summary>
    [Range(60, 86400 * 7)]
    public int CredentialLifetimeSeconds { get; set; } = 3600;
}
