using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using VideoVisit.Media.Stun;

namespace VideoVisit.Media.Turn;

/// <summary>The verdict on a NONCE a client sent back.</summary>
internal enum NonceCheck
{
    Valid,
    Stale,
    Invalid,
}

/// <summary>
/// Stateless nonces (RFC 8489 §9.2): the nonce cookie <c>obMatJos2</c> with the "password
/// algorithms" feature bit (§9.2.1), the issue time in hex and an HMAC over time and client IP
/// under a key that lives only in this process. Nothing is stored per client; a nonce older than
/// the configured lifetime is stale (438), and one forged or issued to another address is invalid.
/// </summary>
internal sealed class NonceService
{
    // "obMatJos2" then base64 of the 24-bit security feature set with bit 0 (password algorithms) set.
    private const string Prefix = "obMatJos2gAAA";
    private const int MacBytes = 12;
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly TimeSpan _lifetime;

    public NonceService(TimeSpan lifetime)
    {
        _lifetime = lifetime;
    }

    public string Create(TransportAddress client, DateTimeOffset now)
    {
        var stamp = now.ToUnixTimeSeconds().ToString("x", CultureInfo.InvariantCulture);
        return Prefix + stamp + "." + Convert.ToHexStringLower(Mac(stamp, client));
    }

    public NonceCheck Check(ReadOnlySpan<byte> nonce, TransportAddress client, DateTimeOffset now)
    {
        if (nonce.Length > 96 || !nonce.StartsWith(Encoding.ASCII.GetBytes(Prefix)))
        {
            return NonceCheck.Invalid;
        }

        var rest = Encoding.ASCII.GetString(nonce[Prefix.Length..]);
        var dot = rest.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot > 16
            || !long.TryParse(rest.AsSpan(0, dot), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var seconds)
            || rest.Length - dot - 1 != MacBytes * 2)
        {
            return NonceCheck.Invalid;
        }

        Span<byte> given = stackalloc byte[MacBytes];
        if (Convert.FromHexString(rest.AsSpan(dot + 1), given, out _, out var written) != System.Buffers.OperationStatus.Done || written != MacBytes)
        {
            return NonceCheck.Invalid;
        }

        if (!CryptographicOperations.FixedTimeEquals(given, Mac(rest[..dot], client)))
        {
            return NonceCheck.Invalid;
        }

        var age = now.ToUnixTimeSeconds() - seconds;
        return age < -5 || age > _lifetime.TotalSeconds ? NonceCheck.Stale : NonceCheck.Valid;
    }

    private byte[] Mac(string stamp, TransportAddress client)
    {
        Span<byte> input = stackalloc byte[64];
        var n = Encoding.ASCII.GetBytes(stamp, input);
        BinaryPrimitives.WriteUInt128BigEndian(input[n..], client.Address);
        input[n + 16] = client.IsIPv6 ? (byte)6 : (byte)4;
        var mac = HMACSHA256.HashData(_key, input[..(n + 17)]);
        return mac[..MacBytes];
    }
}
