using System.Buffers.Binary;

namespace VideoVisit.Media.Transports;

/// <summary>
/// Splits a TCP byte stream into STUN and ChannelData messages (RFC 8656 §12.5): the first two bits
/// tell them apart, STUN carries its length in the header, ChannelData is padded to 4 bytes.
/// </summary>
internal static class TcpFraming
{
    /// <summary>Result of looking at the front of a stream buffer.</summary>
    public enum Frame
    {
        /// <summary>More bytes are needed.</summary>
        Incomplete,

        /// <summary>A whole message of the returned length is at the front.</summary>
        Complete,

        /// <summary>The stream cannot be a TURN stream; close it.</summary>
        Invalid,
    }

    public const int MaxFrame = 20 + 65535 + 3;

    public static Frame Next(ReadOnlySpan<byte> data, out int length)
    {
        length = 0;
        if (data.Length < 4)
        {
            return Frame.Incomplete;
        }

        int declared = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        switch (data[0] >> 6)
        {
            case 0:
                if ((declared & 3) != 0)
                {
                    return Frame.Invalid;
                }

                length = 20 + declared;
                break;
            case 1:
                length = 4 + ((declared + 3) & ~3);
                break;
            default:
                return Frame.Invalid;
        }

        return data.Length >= length ? Frame.Complete : Frame.Incomplete;
    }
}
