using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace VideoVisit.Media;

/// <summary>
/// The time-limited "TURN REST API" credential scheme (draft-uberti-behave-turn-rest, as coturn's
/// <c>use-auth-secret</c>): username <c>&lt;unix-expiry&gt;:&lt;user-id&gt;</c>, password
/// <c>base64(HMAC-SHA1(secret, username))</c>.
/// </summary>
public static class TurnRestCredentials
{
    /// <summary>Issues a username and password valid until <paramref name="expiresAt"/>.</summary>
    public static (string Username, string Password) Issue(string sharedSecret, string userId, DateTimeOffset expiresAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(sharedSecret);
        ArgumentException.ThrowIfNullOrEmpty(userId);
        var username = expiresAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) + ":" + userId;
        return (username, PasswordFor(sharedSecret, username));
    }

    /// <summary>The password the scheme derives for <paramref name="username"/>.</summary>
    public static string PasswordFor(string sharedSecret, string username)
    {
        // HMAC-SHA1 is what the scheme (and coturn) define; it is a MAC here, not a password hash.
#pragma warning disable CA5350
        var mac = HMACSHA1.HashData(Encoding.UTF8.GetBytes(sharedSecret), Encoding.UTF8.GetBytes(username));
#pragma warning restore CA5350
        return Convert.ToBase64String(mac);
    }

    /// <summary>
    /// Reads the expiry from a REST-scheme username. Returns false when the username does not start
    /// with a unix timestamp.
    /// </summary>
    public static bool TryGetExpiry(string username, out DateTimeOffset expiresAt)
    {
        expiresAt = default;
        var colon = username.IndexOf(':', StringComparison.Ordinal);
        var stamp = colon < 0 ? username : username[..colon];
        if (!long.TryParse(stamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            return false;
        }

        expiresAt = DateTimeOffset.FromUnixTimeSeconds(seconds);
        return true;
    }
}
