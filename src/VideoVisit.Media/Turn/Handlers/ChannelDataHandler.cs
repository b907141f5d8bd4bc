using System.Buffers.Binary;

namespace VideoVisit.Media.Turn.Handlers;

/// <summary>ChannelData from a client (RFC 8656 §12.4, §12.5): relay to the peer bound to the channel.</summary>
internal static class ChannelDataHandler
{
    public static void FromClient(TurnServer server, ReadOnlySpan<byte> packet, in FiveTuple tuple)
    {
        var number = BinaryPrimitives.ReadUInt16BigEndian(packet);
        int length = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        // The length may not run past the datagram (padding after it is allowed). Numbers above 0x4FFF
        // only ever find a channel when RFC 5766 numbers are allowed.
        if (4 + length > packet.Length)
        {
            server.Counters.Drop(TurnDropReason.Malformed);
            return;
        }

        var now = server.NowTicks;
        if (!server.Allocations.TryGet(tuple, out var allocation) || allocation.IsDeleted || allocation.IsExpired(now))
        {
            server.Counters.Drop(TurnDropReason.NoAllocation);
            return;
        }

        var channel = allocation.ChannelByNumber(number, now);
        if (channel is null || !allocation.HasPermission(channel.Peer, now))
        {
            server.Counters.Drop(TurnDropReason.NoPermission);
            return;
        }

        server.RelayToPeer(allocation, packet.Slice(4, length), channel.PeerSocketAddress);
    }
}
