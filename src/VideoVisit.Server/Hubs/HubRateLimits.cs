using System.Collections.Concurrent;
using VideoVisit.Server.Visits;

namespace VideoVisit.Server.Hubs;

/// <summary>What a connection spends tokens on; each has its own bucket.</summary>
internal enum HubLimit
{
    Signal,
    Chat,
    Precheck,
}

/// <summary>
/// Token buckets per connection and kind of call: a burst at once, then a sustained rate. A bucket is
/// refilled when it is asked (by the time since it was last asked), so no timer runs for it: with
/// <c>System.Threading.RateLimiting</c>'s partitioned token buckets, every bucket had its own timer
/// (the signal bucket's every 100 ms, the chat bucket's every second: 2,000 connections that signal
/// and chat made 22,000 timer callbacks a second, busy or idle) beside the partitioned limiter's own
/// sweep of all of them every 100 ms. A connection's buckets go when it closes. A
/// caller over a limit gets a <see cref="VisitException"/>; their connection and everyone else's carry on.
/// </summary>
internal sealed class HubRateLimits(VisitOptions options, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Per kind, in <see cref="HubLimit"/> order: the burst and the tokens added per second.</summary>
    private readonly (int Burst, double PerSecond)[] _rates =
    [
        (options.SignalBurst, options.SignalsPerSecond),
        (options.ChatBurst, options.ChatPerSecond),
        (options.PrecheckBurst, options.PrechecksPerMinute / 60.0),
    ];

    private readonly ConcurrentDictionary<string, Buckets> _connections = new(StringComparer.Ordinal);

    /// <summary>Connections that have buckets (for tests: a closed connection's are gone).</summary>
    public int Connections => _connections.Count;

    /// <summary>Takes one token or refuses with a message the caller can act on.</summary>
    public void Take(string connectionId, HubLimit limit)
    {
        var now = _time.GetTimestamp();
        var buckets = _connections.GetOrAdd(connectionId, static (_, state) => new Buckets(state.Rates, state.Now), (Rates: _rates, Now: now));
        if (!buckets.TryTake((int)limit, _rates[(int)limit], now, _time.TimestampFrequency))
        {
            throw new VisitException(VisitError.RateLimited, limit switch
            {
                HubLimit.Signal => "Too many call signals: slow down.",
                HubLimit.Chat => "Too many chat messages: wait a moment before sending more.",
                _ => "Too many device check reports: wait a moment before sending another.",
            });
        }
    }

    /// <summary>The connection closed: its buckets go with it.</summary>
    public void Forget(string connectionId) => _connections.TryRemove(connectionId, out _);

    /// <summary>One connection's buckets, full when it first asks.</summary>
    private sealed class Buckets
    {
        private readonly Lock _gate = new();
        private readonly double[] _tokens;
        private readonly long[] _at;

        public Buckets((int Burst, double PerSecond)[] rates, long now)
        {
            _tokens = [.. rates.Select(r => (double)r.Burst)];
            _at = [.. rates.Select(_ => now)];
        }

        public bool TryTake(int kind, (int Burst, double PerSecond) rate, long now, long frequency)
        {
            lock (_gate)
            {
                if (now > _at[kind])
                {
                    var seconds = (now - _at[kind]) / (double)frequency;
                    _tokens[kind] = Math.Min(rate.Burst, _tokens[kind] + (seconds * rate.PerSecond));
                }

                _at[kind] = now;
                if (_tokens[kind] < 1)
                {
                    return false;
                }

                _tokens[kind]--;
                return true;
            }
        }
    }
}
