using System.Text.Json.Nodes;

namespace SubsidyEngine.Engine.Audit;

/// <summary>Where a replay found the record and the recomputation to differ.</summary>
public sealed record Divergence(Guid DossierId, int DossierSeq, long Seq, string Field, string Expected, string Found)
{
    public override string ToString() => $"dossier {DossierId} event {DossierSeq} (seq {Seq}): {Field}: expected {Expected}, found {Found}";
}

/// <summary>The replay of one dossier: how many events, and every divergence (the first one first).</summary>
public sealed record ReplayReport(Guid DossierId, int Events, IReadOnlyList<Divergence> Divergences, string? State, JsonObject? Data)
{
    public bool Ok => Divergences.Count == 0;

    public Divergence? First => Divergences.Count > 0 ? Divergences[0] : null;

    /// <summary>The workflow version of the last event (0 without events).</summary>
    public int WorkflowVersion { get; init; }

    /// <summary>
    /// Compact per-event view: only the events where something differs, each with only the differing fields
    /// (recomputed value as <see cref="Divergence.Expected"/>, recorded value as <see cref="Divergence.Found"/>).
    /// </summary>
    public IReadOnlyList<EventDifferences> DivergentEvents =>
        Divergences.GroupBy(d => (d.DossierSeq, d.Seq)).Select(g => new EventDifferences(g.Key.DossierSeq, g.Key.Seq, g.ToList())).ToList();
}

/// <summary>One event of a replay where recorded and recomputed values differ: only the fields that differ.</summary>
public sealed record EventDifferences(int DossierSeq, long Seq, IReadOnlyList<Divergence> Fields)
{
    public override string ToString() =>
        $"event {DossierSeq} (seq {Seq}): " + string.Join("; ", Fields.Select(f => $"{f.Field}: recomputed {Shorten(f.Expected)}, recorded {Shorten(f.Found)}"));

    private static string Shorten(string s) => s.Length <= 120 ? s : s[..117] + "...";
}

/// <summary>A problem found while checking the journal against the recorded checkpoints.</summary>
public sealed record CheckpointProblem(long CheckpointSeq, string Field, string Expected, string Found)
{
    public override string ToString() => $"checkpoint {CheckpointSeq}: {Field}: expected {Expected}, found {Found}";
}

/// <summary>Totals of a replay over many dossiers.</summary>
public sealed record ReplaySummary(int Dossiers, long Events, int DivergentDossiers, IReadOnlyList<ReplayReport> Failures)
{
    /// <summary>Problems of the checkpoint verification (a rewritten journal whose chains are consistent again).</summary>
    public IReadOnlyList<CheckpointProblem> CheckpointProblems { get; init; } = [];

    /// <summary>Stored letters re-rendered from the journal (null when the letters were not checked).</summary>
    public int? Letters { get; init; }

    /// <summary>Divergences of the letter check (re-rendered hash versus stored and journaled hashes).</summary>
    public IReadOnlyList<Divergence> LetterDivergences { get; init; } = [];

    /// <summary>Every divergent dossier plus every checkpoint problem plus every letter divergence.</summary>
    public int Divergences => DivergentDossiers + CheckpointProblems.Count + LetterDivergences.Count;

    public bool Ok => Divergences == 0;

    public string OneLine => Letters is { } letters
        ? $"replayed {Dossiers} dossiers, {Events} events, {letters} letters, {Divergences} divergences"
        : $"replayed {Dossiers} dossiers, {Events} events, {Divergences} divergences";
}
