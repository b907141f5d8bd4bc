using System.Buffers.Binary;
using System.Security.Cryptography;

namespace VideoVisit.Media.Stun;

/// <summary>
/// Builds a STUN message into a caller's buffer (RFC 8489 §5, §14): header first, then attributes
/// with zero padding, then MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT in that
/// order. The buffer is the caller's, so a reply costs no allocation.
/// </summary>
internal ref struct StunWriter
{
    private readonly Span<byte> _buffer;
    private int _length;

    public StunWriter(Span<byte> buffer, ushort messageType, ReadOnlySpan<byte> transactionId)
    {
        if (buffer.Length < StunConstants.HeaderLength || transactionId.Length != StunConstants.TransactionIdLength)
        {
            throw new ArgumentException("The buffer must hold a STUN header and the transaction id must be 12 bytes.");
        }

        _buffer = buffer;
        BinaryPrimitives.WriteUInt16BigEndian(buffer, messageType);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], StunConstants.MagicCookie);
        transactionId.CopyTo(buffer[8..]);
        _length = StunConstants.HeaderLength;
    }

    public StunWriter(Span<byte> buffer, ushort method, StunClass cls, ReadOnlySpan<byte> transactionId)
        : this(buffer, StunConstants.MessageType(method, cls), transactionId)
    {
    }

    /// <summary>Bytes written so far.</summary>
    public readonly int Length => _length;

    public readonly ReadOnlySpan<byte> Written => _buffer[.._length];

    public readonly ReadOnlySpan<byte> TransactionId => _buffer.Slice(8, StunConstants.TransactionIdLength);

    /// <summary>Reserves an attribute of <paramref name="valueLength"/> bytes and returns its value to fill.</summary>
    public Span<byte> Reserve(ushort type, int valueLength)
    {
        var padded = (valueLength + 3) & ~3;
        if (valueLength > ushort.MaxValue || _length + 4 + padded > _buffer.Length)
        {
            throw new InvalidOperationException("The STUN message does not fit its buffer.");
        }

        BinaryPrimitives.WriteUInt16BigEndian(_buffer[_length..], type);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[(_length + 2)..], (ushort)valueLength);
        var value = _buffer.Slice(_length + 4, valueLength);
        _buffer.Slice(_length + 4 + valueLength, padded - valueLength).Clear();
        _length += 4 + padded;
        SetHeaderLength(_length - StunConstants.HeaderLength);
        return value;
    }

    public void Write(ushort type, ReadOnlySpan<byte> value) => value.CopyTo(Reserve(type, value.Length));

    /// <summary>MESSAGE-INTEGRITY: HMAC-SHA1 over the message with the length field covering this attribute (RFC 8489 §14.5).</summary>
    public void WriteMessageIntegrity(ReadOnlySpan<byte> key)
    {
        var covered = _length;
        var value = Reserve(Attributes.MessageIntegrityAttribute.Type, Attributes.MessageIntegrityAttribute.Length);
        // HMAC-SHA1 is what RFC 8489 §14.5 defines for MESSAGE-INTEGRITY.
#pragma warning disable CA5350
        HMACSHA1.HashData(key, _buffer[..covered], value);
#pragma warning restore CA5350
    }

    /// <summary>MESSAGE-INTEGRITY-SHA256: HMAC-SHA256, untruncated (RFC 8489 §14.6).</summary>
    public void WriteMessageIntegritySha256(ReadOnlySpan<byte> key)
    {
        var covered = _length;
        var value = Reserve(Attributes.MessageIntegritySha256Attribute.Type, 32);
        HMACSHA256.HashData(key, _buffer[..covered], value);
    }

    /// <summary>FINGERPRINT: CRC-32 of the message so far XOR 0x5354554E (RFC 8489 §14.7).</summary>
    public void WriteFingerprint()
    {
        var covered = _length;
        var value = Reserve(Attributes.FingerprintAttribute.Type, 4);
        BinaryPrimitives.WriteUInt32BigEndian(value, System.IO.Hashing.Crc32.HashToUInt32(_buffer[..covered]) ^ Attributes.FingerprintAttribute.XorValue);
    }

    private readonly void SetHeaderLength(int length) => BinaryPrimitives.WriteUInt16BigEndian(_buffer[2..], (ushort)length);
}
