namespace SubsidyEngine.Engine.Audit;

/// <summary>Progress of a replay of everything.</summary>
public readonly record struct ReplayProgress(int Dossiers, int TotalDossiers, long Events);

/// <summary>Options of <see cref="Replayer.ReplayAllAsync(ReplayAllOptions, CancellationToken)"/>.</summary>
public sealed record ReplayAllOptions
{
    /// <summary>Told now and then (at most every 250 dossiers) and at the end.</summary>
    public IProgress<ReplayProgress>? Progress { get; init; }

    /// <summary>Called for every dossier's report (from worker threads; keep it cheap and thread-safe).</summary>
    public Action<ReplayReport>? OnReport { get; init; }

    /// <summary>Also verify every recorded checkpoint's head digest in the same pass (default true).</summary>
    public bool VerifyCheckpoints { get; init; } = true;

    /// <summary>Parallel replay workers; the journal is still read once, in order.</summary>
    public int Workers { get; init; } = Math.Clamp(Environment.ProcessorCount - 1, 1, 8);

    /// <summary>At most this many failing reports are kept in the summary (all are counted).</summary>
    public int MaxFailuresKept { get; init; } = 10_000;
}
