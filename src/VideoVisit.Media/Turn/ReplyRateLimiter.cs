using VideoVisit.Media.Stun;

namespace VideoVisit.Media.Turn;

/// <summary>
/// Bounds the replies sent to requests that are not (yet) authenticated — Binding responses, 401,
/// 438 and 400 — per source IP address. A spoofed source is the victim of a reflection attack, so a
/// per-source budget caps what anyone can make this server send to a third party, whatever the
/// number of attackers. Fixed-size hashed table: no state grows with the number of sources.
/// Kept instead of System.Threading.RateLimiting's PartitionedRateLimiter, which keeps a limiter per
/// partition key: 100,000 spoofed sources cost 628 bytes each per first packet (measured), state that
/// grows with what an attacker sends. See src/VideoVisit.Media/README.md, "Rate limits".
/// </summary>
internal sealed class ReplyRateLimiter
{
    private const int Slots = 4096;
    private readonly double[] _tokens = new double[Slots];
    private readonly long[] _last = new long[Slots];
    private readonly Lock[] _locks = Enumerable.Range(0, 64).Select(_ => new Lock()).ToArray();
    private readonly TimeProvider _time;
    private readonly double _rate;
    private readonly double _burst;
    private readonly ulong _seed = (ulong)Random.Shared.NextInt64();

    public ReplyRateLimiter(TimeProvider time, double repliesPerSecond)
    {
        _time = time;
        _rate = repliesPerSecond;
        _burst = Math.Max(1, repliesPerSecond * 2);
        Array.Fill(_tokens, _burst);
        Array.Fill(_last, time.GetTimestamp());
    }

    public bool TryAcquire(TransportAddress source)
    {
        if (_rate <= 0)
        {
            return true;
        }

        var h = (ulong)source.Address.GetHashCode() ^ _seed;
        var slot = (int)((h * 0x9E3779B97F4A7C15UL) >> 52) & (Slots - 1);
        lock (_locks[slot & 63])
        {
            var now = _time.GetTimestamp();
            var elapsed = (now - _last[slot]) / (double)_time.TimestampFrequency;
            _last[slot] = now;
            _tokens[slot] = Math.Min(_burst, _tokens[slot] + elapsed * _rate);
            if (_tokens[slot] < 1)
            {
                return false;
            }

            _tokens[slot] -= 1;
            return true;
        }
    }
}
