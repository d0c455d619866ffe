using System.Collections.Concurrent;

namespace SubsidyEngine.Engine.Runtime;

/// <summary>
/// A dossier as this process last committed it: enough to decide a fire without reading the row first. The data is
/// kept as its canonical text (immutable; every use parses its own copy), never as a shared mutable JSON tree.
/// <see cref="DeadlineStates"/> holds every state an open deadline of the dossier is bound to (it may hold more:
/// deadlines met, fired or cleared by the sweep since), or null when this process does not know them; with it, a
/// transition that leaves no bound deadline behind skips the statement that would clear them.
/// </summary>
internal sealed record KnownDossier(string WorkflowId, int WorkflowVersion, string State, int Version, string Data, string HeadHash, IReadOnlyList<string>? DeadlineStates);

/// <summary>
/// The dossiers this process committed last, so the next fire on one of them can skip the locking read (one round
/// trip instead of two). Only ever a hint: the fire's write is guarded by everything the decision read from the row
/// (<c>dossier_expect_unchanged</c>, migration 0005), and anything else falls back to the locking read. Bounded: past
/// <c>capacity</c> entries it starts over (the cost of a miss is one round trip, never a wrong answer).
/// </summary>
internal sealed class KnownDossiers(int capacity)
{
    private readonly ConcurrentDictionary<Guid, KnownDossier> _entries = new();
    private int _count;

    public KnownDossier? Get(Guid id) => _entries.TryGetValue(id, out var known) ? known : null;

    /// <summary>Remembers a committed snapshot; an older version never replaces a newer one (commits can finish out of order).</summary>
    public void Remember(Guid id, KnownDossier known)
    {
        if (capacity <= 0)
        {
            return;
        }

        while (true)
        {
            if (_entries.TryGetValue(id, out var current))
            {
                if (current.Version >= known.Version || _entries.TryUpdate(id, known, current))
                {
                    return;
                }
            }
            else if (_entries.TryAdd(id, known))
            {
                if (Interlocked.Increment(ref _count) > capacity)
                {
                    _entries.Clear();
                    Interlocked.Exchange(ref _count, 0);
                }

                return;
            }
        }
    }

    public void Forget(Guid id)
    {
        if (_entries.TryRemove(id, out _))
        {
            Interlocked.Decrement(ref _count);
        }
    }
}
