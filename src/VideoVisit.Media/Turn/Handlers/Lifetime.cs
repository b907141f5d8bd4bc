using VideoVisit.Media.Stun;
using VideoVisit.Media.Stun.Attributes;

namespace VideoVisit.Media.Turn.Handlers;

/// <summary>The lifetime granted to an Allocate or Refresh (RFC 8656 §7.2 step 10, §7.3).</summary>
internal static class Lifetime
{
    /// <summary>
    /// The requested LIFETIME bounded to [default, maximum]; the default without one. A Refresh
    /// with 0 is handled by the caller (it deletes).
    /// </summary>
    public static uint Grant(in StunMessage request, TurnOptions options)
    {
        var defaultLifetime = (uint)options.AllocationLifetimeSeconds;
        var max = (uint)Math.Max(options.AllocationLifetimeSeconds, options.MaxAllocationLifetimeSeconds);
        if (!LifetimeAttribute.TryRead(request, out var requested))
        {
            return defaultLifetime;
        }

        return Math.Clamp(requested, defaultLifetime, max);
    }
}
