namespace VideoVisit.Server.Visits;

/// <summary>
/// A token bucket per connection: <see cref="VisitOptions.SignalBurst"/> signals at once, refilled at
/// <see cref="VisitOptions.SignalsPerSecond"/>. A caller over the limit gets an error; their
/// connection and everyone else's carry on.
/// </summary>
public sealed class SignalRateLimiter
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly double _perSecond;
    private readonly double _burst;
    private double _tokens;
    private long _last;

    public SignalRateLimiter(VisitOptions options, TimeProvider time)
    {
        _time = time;
        _perSecond = options.SignalsPerSecond;
        _burst = options.SignalBurst;
        _tokens = _burst;
        _last = time.GetTimestamp();
    }

    public bool TryTake()
    {
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            _tokens = Math.Min(_burst, _tokens + (_time.GetElapsedTime(_last, now).TotalSeconds * _perSecond));
            _last = now;
            if (_tokens < 1)
            {
                return false;
            }

            _tokens -= 1;
            return true;
        }
    }
}
