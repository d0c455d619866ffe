using SubsidyEngine.Engine.Journal;

namespace SubsidyEngine.Engine.Audit;

/// <summary>Recomputes the head digests of the checkpoints from the streamed chains (sorted by dossier id).</summary>
internal sealed class CheckpointHeads(IReadOnlyList<JournalCheckpoint> checkpoints)
{
    private readonly (JournalCheckpoint C, System.Security.Cryptography.IncrementalHash Hash, long[] Counts)[] _state =
        checkpoints.Select(c => (c, System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256), new long[2])).ToArray();

    public void Add(Guid id, List<JournalEvent> chain)
    {
        foreach (var (c, hash, counts) in _state)
        {
            JournalEvent? head = null;
            var n = 0;
            foreach (var e in chain)
            {
                if (e.Seq <= c.MaxJournalSeq)
                {
                    n++;
                    head = e;
                }
            }

            if (head is not null)
            {
                hash.AppendData(System.Text.Encoding.UTF8.GetBytes(JournalCheckpoint.HeadLine(id, head.DossierSeq, head.Hash)));
                counts[0]++;
                counts[1] += n;
            }
        }
    }

    public List<CheckpointProblem> Verify()
    {
        var problems = new List<CheckpointProblem>();
        var prev = JournalEvent.GenesisHash;
        var expectedSeq = 1L;
        foreach (var (c, hash, counts) in _state)
        {
            var digest = Convert.ToHexStringLower(hash.GetHashAndReset());
            hash.Dispose();
            problems.AddRange(c.Verify(expectedSeq, prev));
            if (digest != c.HeadDigest)
            {
                problems.Add(new CheckpointProblem(c.Seq, "head_digest (the journal's chain heads differ from those certified)", c.HeadDigest, digest));
            }

            if (counts[0] != c.DossierCount)
            {
                problems.Add(new CheckpointProblem(c.Seq, "dossier_count", c.DossierCount.ToString(System.Globalization.CultureInfo.InvariantCulture), counts[0].ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }

            if (counts[1] != c.EventCount)
            {
                problems.Add(new CheckpointProblem(c.Seq, "event_count", c.EventCount.ToString(System.Globalization.CultureInfo.InvariantCulture), counts[1].ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }

            prev = c.Hash;
            expectedSeq = c.Seq + 1;
        }

        return problems;
    }
}
