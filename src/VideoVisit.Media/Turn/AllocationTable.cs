using System.Collections.Concurrent;

namespace VideoVisit.Media.Turn;

/// <summary>
/// Allocations keyed by 5-tuple (RFC 8656 §5), with the total and per-user quotas (486) enforced
/// atomically when a slot is reserved.
/// </summary>
internal sealed class AllocationTable
{
    private readonly ConcurrentDictionary<FiveTuple, Allocation> _byTuple = new();
    private readonly Dictionary<string, int> _perUser = new(StringComparer.Ordinal);
    private readonly Lock _quotaLock = new();
    private readonly int _maxTotal;
    private readonly int _maxPerUser;
    private int _reserved;

    public AllocationTable(int maxTotal, int maxPerUser)
    {
        _maxTotal = maxTotal;
        _maxPerUser = maxPerUser;
    }

    public int Count => _byTuple.Count;

    public IEnumerable<Allocation> All => _byTuple.Values;

    public bool TryGet(in FiveTuple tuple, out Allocation allocation) => _byTuple.TryGetValue(tuple, out allocation!);

    /// <summary>Reserves a slot for <paramref name="userId"/>; false when a quota is reached.</summary>
    public bool TryReserve(string userId)
    {
        lock (_quotaLock)
        {
            _perUser.TryGetValue(userId, out var mine);
            if (_reserved >= _maxTotal || mine >= _maxPerUser)
            {
                return false;
            }

            _reserved++;
            _perUser[userId] = mine + 1;
            return true;
        }
    }

    public void Release(string userId)
    {
        lock (_quotaLock)
        {
            _reserved--;
            if (_perUser.TryGetValue(userId, out var mine))
            {
                if (mine <= 1)
                {
                    _perUser.Remove(userId);
                }
                else
                {
                    _perUser[userId] = mine - 1;
                }
            }
        }
    }

    /// <summary>Adds an allocation whose slot is reserved; false when the 5-tuple already has one.</summary>
    public bool TryAdd(Allocation allocation) => _byTuple.TryAdd(allocation.Tuple, allocation);

    /// <summary>Removes the allocation (if it is still the one for its 5-tuple) and frees its slot.</summary>
    public bool Remove(Allocation allocation)
    {
        if (!_byTuple.TryRemove(new KeyValuePair<FiveTuple, Allocation>(allocation.Tuple, allocation)))
        {
            return false;
        }

        Release(allocation.UserId);
        return true;
    }
}
