using System.Security.Cryptography;
using System.Text;
using VideoVisit.Media.Stun;
using VideoVisit.Media.Stun.Attributes;

namespace VideoVisit.Media.Turn;

/// <summary>A request that passed the long-term credential check, and how to sign its response.</summary>
internal readonly record struct Credential(string Username, string UserId, byte[] Key, bool Sha256Integrity);

/// <summary>What the credential check decided: a credential, or the error to reply with.</summary>
internal readonly record struct AuthResult(Credential? Credential, int ErrorCode, string Reason)
{
    public bool Succeeded => Credential is not null;
}

/// <summary>
/// The long-term credential mechanism (RFC 8489 §9.2) with passwords from the TURN REST scheme:
/// the username carries its expiry and the password is HMAC-SHA1(shared secret, username), so the
/// relay keeps no user database and accepts exactly what <c>GET /api/ice-servers</c> hands out.
/// </summary>
internal sealed class LongTermAuthenticator
{
    private readonly Func<string> _secret;
    private readonly string _realm;
    private readonly NonceService _nonces;
    private readonly TimeProvider _time;

    public LongTermAuthenticator(Func<string> secret, string realm, NonceService nonces, TimeProvider time)
    {
        _secret = secret;
        _realm = realm;
        _nonces = nonces;
        _time = time;
    }

    public string Realm => _realm;

    public string NewNonce(TransportAddress client) => _nonces.Create(client.WithoutPort, _time.GetUtcNow());

    /// <summary>RFC 8489 §9.2.4, the server's steps for a request that needs authentication.</summary>
    public AuthResult Authenticate(in StunMessage request, TransportAddress client)
    {
        // Step 1: no integrity at all: challenge with REALM and NONCE.
        var hasSha256 = request.MessageIntegritySha256Offset >= 0;
        if (request.MessageIntegrityOffset < 0 && !hasSha256)
        {
            return new AuthResult(null, 401, "Unauthorized");
        }

        // Step 2: integrity without USERNAME, REALM or NONCE is a bad request.
        if (!UsernameAttribute.TryReadString(request, out var username) || username.Length == 0
            || !RealmAttribute.TryRead(request, out _)
            || !NonceAttribute.TryRead(request, out var nonce))
        {
            return new AuthResult(null, 400, "Bad Request");
        }

        // Step 3 (§9.2.4 with the nonce cookie): PASSWORD-ALGORITHMS must echo ours and
        // PASSWORD-ALGORITHM must be one of them; both or neither.
        var hasAlgorithms = PasswordAlgorithmsAttribute.TryRead(request, out var algorithms);
        var hasAlgorithm = PasswordAlgorithmAttribute.TryRead(request, out var algorithm);
        if (hasAlgorithms != hasAlgorithm
            || (hasAlgorithms && !algorithms.SequenceEqual(PasswordAlgorithmsAttribute.ServerValue))
            || (hasAlgorithm && algorithm is not (PasswordAlgorithmsAttribute.Md5 or PasswordAlgorithmsAttribute.Sha256)))
        {
            return new AuthResult(null, 400, "Bad Request");
        }

        var now = _time.GetUtcNow();
        if (_nonces.Check(nonce, client.WithoutPort, now) != NonceCheck.Valid)
        {
            return new AuthResult(null, 438, "Stale Nonce");
        }

        if (!TurnRestCredentials.TryGetExpiry(username, out var expiresAt) || expiresAt <= now)
        {
            return new AuthResult(null, 401, "Unauthorized");
        }

        var password = TurnRestCredentials.PasswordFor(_secret(), username);
        var key = DeriveKey(username, _realm, password, hasAlgorithm && algorithm == PasswordAlgorithmsAttribute.Sha256);
        var valid = hasSha256
            ? MessageIntegritySha256Attribute.IsValid(request, key)
            : MessageIntegrityAttribute.IsValid(request, key);
        if (!valid)
        {
            return new AuthResult(null, 401, "Unauthorized");
        }

        var colon = username.IndexOf(':', StringComparison.Ordinal);
        var userId = colon < 0 ? username : username[(colon + 1)..];
        return new AuthResult(new Credential(username, userId, key, hasSha256), 0, "");
    }

    /// <summary>The long-term key: MD5 or SHA-256 of <c>username:realm:password</c> (RFC 8489 §9.2.2, §18.5.1).</summary>
    public static byte[] DeriveKey(string username, string realm, string password, bool sha256)
    {
        var input = Encoding.UTF8.GetBytes(username + ":" + realm + ":" + password);
        // MD5 is what RFC 8489 §9.2.2 defines for the default password algorithm (and what every browser uses).
#pragma warning disable CA5351
        return sha256 ? SHA256.HashData(input) : MD5.HashData(input);
#pragma warning restore CA5351
    }
}
