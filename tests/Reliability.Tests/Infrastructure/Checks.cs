namespace SubsidyEngine.Reliability.Tests.Infrastructure;

/// <summary>Assertions shared by the scenarios: acknowledged requests against the journal, chains.</summary>
public static class Checks
{
    /// <summary>
    /// Every acknowledged request is in the journal exactly once (the event it reported exists, is a transition
    /// of that dossier at that version), no two acknowledgements name the same event, and the journal holds no
    /// transition that was not acknowledged (nothing applied twice, nothing applied unseen).
    /// </summary>
    public static async Task AssertAcknowledgedExactlyOnceAsync(FaultRig rig, IReadOnlyCollection<LoadClient.Ack> acks)
    {
        var events = (await rig.QueryAsync("SELECT seq, dossier_id, dossier_seq FROM journal WHERE kind = 'transition'", r => (r.GetInt64(0), r.GetGuid(1), r.GetInt32(2))))
            .ToDictionary(e => e.Item1, e => (Dossier: e.Item2, Version: e.Item3));
        var problems = new List<string>();
        foreach (var a in acks)
        {
            if (!events.TryGetValue(a.JournalSeq, out var e))
            {
                problems.Add($"ack {a.Key} names journal seq {a.JournalSeq}, which is no transition");
            }
            else if (e.Dossier != a.Dossier || e.Version != a.Version)
            {
                problems.Add($"ack {a.Key} names seq {a.JournalSeq} = {e.Dossier} v{e.Version}, expected {a.Dossier} v{a.Version}");
            }
        }

        var duplicates = acks.GroupBy(a => a.JournalSeq).Where(g => g.Count() > 1).ToList();
        problems.AddRange(duplicates.Select(g => $"journal seq {g.Key} acknowledged for {g.Count()} different requests"));
        if (events.Count != acks.Count)
        {
            problems.Add($"{events.Count} transitions in the journal, {acks.Count} acknowledged requests");
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems.Take(30)));
    }

    /// <summary>Every chain replays without divergence (hashes, states, data, checkpoints).</summary>
    public static async Task AssertChainsVerifyAsync(FaultRig rig)
    {
        var summary = await rig.ReplayAllAsync();
        Assert.True(summary.Ok, summary.OneLine + "\n" + string.Join('\n', summary.Failures.Take(5).Select(f => f.First?.ToString())));
        rig.Log(summary.OneLine);
    }
}
