using System.Buffers;
using System.Buffers.Binary;

namespace VideoVisit.Media.Stun.Attributes;

/// <summary>
/// The bytes an integrity attribute covers: the message up to the attribute, with the header's
/// length field rewritten to end just after the attribute (RFC 8489 §14.5, §14.6).
/// </summary>
internal static class IntegrityInput
{
    public delegate int HashFunction(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> destination);

    public static void Hash(ReadOnlySpan<byte> raw, int attributeOffset, int attributeLength, HashFunction hash, ReadOnlySpan<byte> key, Span<byte> destination)
    {
        byte[]? rented = null;
        var copy = attributeOffset <= 1024 ? stackalloc byte[attributeOffset] : (rented = ArrayPool<byte>.Shared.Rent(attributeOffset)).AsSpan(0, attributeOffset);
        raw[..attributeOffset].CopyTo(copy);
        BinaryPrimitives.WriteUInt16BigEndian(copy[2..], (ushort)(attributeOffset - StunConstants.HeaderLength + 4 + attributeLength));
        hash(key, copy, destination);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
