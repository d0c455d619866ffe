using Npgsql;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Engine.Audit;

/// <summary>
/// Re-fires a dossier's journal on its pinned definitions (and through recorded migrations), verifying the hash
/// chain, every recorded effect and the stored projection. The journal is the truth: anything else that
/// disagrees with it is reported.
/// </summary>
public sealed class Replayer(NpgsqlDataSource dataSource, WorkflowCatalog catalog, JournalStore journal)
{
    private const string SnapshotColumns = WorkflowRuntime.SnapshotColumns;

    /// <summary>
    /// Replays one dossier. Its journal and its projection are read in one snapshot (a read-only REPEATABLE READ
    /// transaction): read one after the other, an event committed in between (a transition, the outbox's
    /// <c>notice.sent</c> record) made an untampered dossier of a running service look divergent.
    /// </summary>
    public async Task<ReplayReport> ReplayAsync(Guid dossierId, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<JournalEvent> events;
        DossierSnapshot? stored;
        await using (var conn = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken))
        {
            await using (var readOnly = new NpgsqlCommand("SET TRANSACTION READ ONLY", conn, tx))
            {
                await readOnly.ExecuteNonQueryAsync(cancellationToken);
            }

            events = await journal.ForDossierAsync(conn, tx, dossierId, 0, int.MaxValue, cancellationToken);
            await using (var cmd = new NpgsqlCommand($"SELECT {SnapshotColumns} FROM dossier WHERE id = $1", conn, tx))
            {
                cmd.Parameters.AddWithValue(dossierId);
                await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
                stored = await reader.ReadAsync(cancellationToken) ? WorkflowRuntime.ReadSnapshot(reader) : null;
            }

            await tx.CommitAsync(cancellationToken);
        }

        if (stored is null && events.Count == 0)
        {
            throw new DossierNotFoundException(dossierId);
        }

        return Replay(dossierId, events, stored, catalog);
    }

    /// <summary>Replays every dossier; <paramref name="progress"/> is told now and then.</summary>
    public Task<ReplaySummary> ReplayAllAsync(IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default) =>
        ReplayAllAsync(
            new ReplayAllOptions { Progress = progress is null ? null : new SyncProgress<ReplayProgress>(p => progress.Report((p.Dossiers, p.TotalDossiers))) },
            cancellationToken);

    /// <summary>
    /// Replays every dossier by reading the journal once, ordered by (dossier_id, dossier_seq), merged with the
    /// dossier projections ordered by id (two ordered streams on two connections). Memory holds one dossier's
    /// events per worker and a bounded queue, whatever the size of the journal. Recorded checkpoints are verified
    /// in the same pass (their head digests are recomputed from the streamed chain heads).
    /// </summary>
    public Task<ReplaySummary> ReplayAllAsync(ReplayAllOptions options, CancellationToken cancellationToken = default) =>
        new StreamedReplay(dataSource, catalog).RunAsync(options, cancellationToken);

    /// <summary>Orders UUIDs as PostgreSQL does (by their 16 bytes, big-endian: the order of their text).</summary>
    public static int CompareUuid(Guid a, Guid b)
    {
        Span<byte> x = stackalloc byte[16];
        Span<byte> y = stackalloc byte[16];
        a.TryWriteBytes(x, bigEndian: true, out _);
        b.TryWriteBytes(y, bigEndian: true, out _);
        return x.SequenceCompareTo(y);
    }

    /// <summary>Pure replay of a list of events against an optional stored projection.</summary>
    public static ReplayReport Replay(Guid dossierId, IReadOnlyList<JournalEvent> events, DossierSnapshot? stored, WorkflowCatalog catalog)
    {
        var replay = new DossierReplay(dossierId, catalog);
        foreach (var e in events)
        {
            replay.Apply(e);
        }

        replay.CheckProjection(stored);
        return replay.Report();
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
