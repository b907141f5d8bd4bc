using System.Buffers.Binary;

namespace VideoVisit.Media.Stun;

/// <summary>
/// A STUN message read in place from a span (RFC 8489 §5, §14). <see cref="TryParse"/> never throws:
/// anything that is not a well-formed STUN message is reported as false and the caller drops it.
/// Attributes after MESSAGE-INTEGRITY other than MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are
/// ignored, as RFC 8489 §14.5 requires.
/// </summary>
internal readonly ref struct StunMessage
{
    private StunMessage(ReadOnlySpan<byte> raw, int integrityOffset, int integritySha256Offset, int fingerprintOffset)
    {
        Raw = raw;
        MessageIntegrityOffset = integrityOffset;
        MessageIntegritySha256Offset = integritySha256Offset;
        FingerprintOffset = fingerprintOffset;
    }

    /// <summary>The whole message, header included.</summary>
    public ReadOnlySpan<byte> Raw { get; }

    public ushort MessageType => BinaryPrimitives.ReadUInt16BigEndian(Raw);

    public ushort Method => StunConstants.MethodOf(MessageType);

    public StunClass Class => StunConstants.ClassOf(MessageType);

    public ReadOnlySpan<byte> TransactionId => Raw.Slice(8, StunConstants.TransactionIdLength);

    /// <summary>Offset of the MESSAGE-INTEGRITY attribute header, or -1.</summary>
    public int MessageIntegrityOffset { get; }

    /// <summary>Offset of the MESSAGE-INTEGRITY-SHA256 attribute header, or -1.</summary>
    public int MessageIntegritySha256Offset { get; }

    /// <summary>Offset of the FINGERPRINT attribute header, or -1.</summary>
    public int FingerprintOffset { get; }

    /// <summary>Where the attributes covered by integrity end (the first integrity or fingerprint attribute).</summary>
    public int AttributesEnd
    {
        get
        {
            var end = Raw.Length;
            if (FingerprintOffset >= 0) end = FingerprintOffset;
            if (MessageIntegritySha256Offset >= 0) end = Math.Min(end, MessageIntegritySha256Offset);
            if (MessageIntegrityOffset >= 0) end = Math.Min(end, MessageIntegrityOffset);
            return end;
        }
    }

    /// <summary>True when the first bytes look like a STUN header: top bits 00 and the magic cookie.</summary>
    public static bool LooksLikeStun(ReadOnlySpan<byte> data) =>
        data.Length >= StunConstants.HeaderLength
        && (data[0] & 0xC0) == 0
        && BinaryPrimitives.ReadUInt32BigEndian(data[4..]) == StunConstants.MagicCookie;

    /// <summary>
    /// Parses <paramref name="data"/>, which must hold exactly one message (a UDP datagram or a
    /// framed TCP message). Returns false for anything malformed.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out StunMessage message)
    {
        message = default;
        if (!LooksLikeStun(data))
        {
            return false;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        if ((length & 3) != 0 || StunConstants.HeaderLength + length != data.Length)
        {
            return false;
        }

        int integrity = -1, integrity256 = -1, fingerprint = -1;
        var offset = StunConstants.HeaderLength;
        while (offset < data.Length)
        {
            if (data.Length - offset < 4 || fingerprint >= 0)
            {
                return false; // a truncated attribute header, or anything after FINGERPRINT (RFC 8489 §14.7)
            }

            var type = BinaryPrimitives.ReadUInt16BigEndian(data[offset..]);
            int valueLength = BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 2)..]);
            var padded = (valueLength + 3) & ~3;
            if (padded > data.Length - offset - 4)
            {
                return false;
            }

            switch (type)
            {
                case Attributes.MessageIntegrityAttribute.Type when integrity < 0 && integrity256 < 0:
                    if (valueLength != Attributes.MessageIntegrityAttribute.Length) return false;
                    integrity = offset;
                    break;
                case Attributes.MessageIntegritySha256Attribute.Type when integrity256 < 0:
                    if (valueLength is < 16 or > 32 || (valueLength & 3) != 0) return false;
                    integrity256 = offset;
                    break;
                case Attributes.FingerprintAttribute.Type:
                    if (valueLength != 4) return false;
                    fingerprint = offset;
                    break;
            }

            offset += 4 + padded;
        }

        message = new StunMessage(data, integrity, integrity256, fingerprint);
        return true;
    }

    /// <summary>The first attribute of <paramref name="type"/> covered by integrity.</summary>
    public bool TryGetAttribute(ushort type, out ReadOnlySpan<byte> value)
    {
        var end = AttributesEnd;
        var offset = StunConstants.HeaderLength;
        while (offset < end)
        {
            var t = BinaryPrimitives.ReadUInt16BigEndian(Raw[offset..]);
            int length = BinaryPrimitives.ReadUInt16BigEndian(Raw[(offset + 2)..]);
            if (t == type)
            {
                value = Raw.Slice(offset + 4, length);
                return true;
            }

            offset += 4 + ((length + 3) & ~3);
        }

        value = default;
        return false;
    }

    public bool HasAttribute(ushort type) => TryGetAttribute(type, out _);

    /// <summary>
    /// Writes the comprehension-required attribute types (0x0000–0x7FFF) that <paramref name="isKnown"/>
    /// rejects into <paramref name="unknown"/>; returns how many (at most its length).
    /// </summary>
    public int CollectUnknownComprehensionRequired(Func<ushort, bool> isKnown, Span<ushort> unknown)
    {
        var count = 0;
        var end = AttributesEnd;
        var offset = StunConstants.HeaderLength;
        while (offset < end && count < unknown.Length)
        {
            var t = BinaryPrimitives.ReadUInt16BigEndian(Raw[offset..]);
            int length = BinaryPrimitives.ReadUInt16BigEndian(Raw[(offset + 2)..]);
            if (t < 0x8000 && !isKnown(t) && !unknown[..count].Contains(t))
            {
                unknown[count++] = t;
            }

            offset += 4 + ((length + 3) & ~3);
        }

        return count;
    }

    /// <summary>Enumerates every attribute (type, value) in order, integrity and fingerprint included.</summary>
    public AttributeEnumerator GetEnumerator() => new(Raw, Raw.Length);

    /// <summary>Enumerates the attributes integrity covers (those before MESSAGE-INTEGRITY and FINGERPRINT).</summary>
    public AttributeEnumerator CoveredAttributes() => new(Raw, AttributesEnd);

    /// <summary>Walks the attributes of an already validated message.</summary>
    public ref struct AttributeEnumerator
    {
        private readonly ReadOnlySpan<byte> _raw;
        private readonly int _end;
        private int _next;

        internal AttributeEnumerator(ReadOnlySpan<byte> raw, int end)
        {
            _raw = raw;
            _end = end;
            _next = StunConstants.HeaderLength;
            Current = default;
        }

        public StunAttribute Current { get; private set; }

        public readonly AttributeEnumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            if (_next + 4 > _end)
            {
                return false;
            }

            var t = BinaryPrimitives.ReadUInt16BigEndian(_raw[_next..]);
            int length = BinaryPrimitives.ReadUInt16BigEndian(_raw[(_next + 2)..]);
            Current = new StunAttribute(t, _raw.Slice(_next + 4, length));
            _next += 4 + ((length + 3) & ~3);
            return true;
        }
    }
}

/// <summary>One attribute of a parsed message: its type and its value without padding.</summary>
internal readonly ref struct StunAttribute(ushort type, ReadOnlySpan<byte> value)
{
    public ushort Type { get; } = type;

    public ReadOnlySpan<byte> Value { get; } = value;
}
