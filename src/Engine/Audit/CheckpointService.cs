using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Engine.Audit;

/// <summary>
/// One journal checkpoint: the digest of every dossier's chain head at a moment, chained to the previous
/// checkpoint. Its hash is the SHA-256 of canonical form <c>sejc1</c> (docs/audit.md): the fields below, each
/// followed by one LF.
/// </summary>
public sealed record JournalCheckpoint(
    long Seq,
    DateOnly BrusselsDay,
    DateTimeOffset TakenAt,
    long DossierCount,
    long EventCount,
    long MaxJournalSeq,
    string HeadDigest,
    string PrevHash,
    string Hash)
{
    public const string FormatTag = "sejc1";

    /// <summary>One line of the head digest: <c>&lt;dossier_id&gt; &lt;dossier_seq&gt; &lt;hash&gt;\n</c>.</summary>
    public static string HeadLine(Guid dossierId, int dossierSeq, string hash) =>
        string.Create(CultureInfo.InvariantCulture, $"{dossierId:D} {dossierSeq} {hash}\n");

    public byte[] CanonicalBytes()
    {
        var sb = new StringBuilder();
        foreach (var v in new[]
                 {
                     FormatTag, Seq.ToString(CultureInfo.InvariantCulture), JournalEvent.FormatTime(TakenAt),
                     DossierCount.ToString(CultureInfo.InvariantCulture), EventCount.ToString(CultureInfo.InvariantCulture),
                     MaxJournalSeq.ToString(CultureInfo.InvariantCulture), HeadDigest, PrevHash,
                 })
        {
            sb.Append(v).Append('\n');
        }

        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    public string ComputeHash() => Convert.ToHexStringLower(SHA256.HashData(CanonicalBytes()));

    /// <summary>Checks the checkpoint's own hash and its link to the previous checkpoint.</summary>
    public IEnumerable<CheckpointProblem> Verify(long expectedSeq, string expectedPrev)
    {
        if (Seq != expectedSeq)
        {
            yield return new CheckpointProblem(Seq, "seq", expectedSeq.ToString(CultureInfo.InvariantCulture), Seq.ToString(CultureInfo.InvariantCulture));
        }

        if (PrevHash != expectedPrev)
        {
            yield return new CheckpointProblem(Seq, "prev_hash", expectedPrev, PrevHash);
        }

        var h = ComputeHash();
        if (h != Hash)
        {
            yield return new CheckpointProblem(Seq, "hash", h, Hash);
        }
    }

    /// <summary>The JSON line of the export bundle's checkpoints.jsonl (values exactly as hashed).</summary>
    public JsonObject ToJson() => new()
    {
        ["seq"] = Seq,
        ["brussels_day"] = BrusselsDay.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        ["taken_at"] = JournalEvent.FormatTime(TakenAt),
        ["dossier_count"] = DossierCount,
        ["event_count"] = EventCount,
        ["max_journal_seq"] = MaxJournalSeq,
        ["head_digest"] = HeadDigest,
        ["prev_hash"] = PrevHash,
        ["hash"] = Hash,
    };
}

/// <summary>
/// Takes the daily journal checkpoint (one per calendar day in Europe/Brussels), records it in the append-only
/// table <c>journal_checkpoint</c> and, when the audit workflow <c>system/audit</c> is loaded, fires
/// <c>checkpoint-taken</c> on the system audit dossier, whose effect is an outbox notice with the
/// <c>checkpoint-digest</c> template for the auditors' address.
/// </summary>
public sealed class CheckpointService(NpgsqlDataSource dataSource, TimeProvider clock, WorkflowRuntime? runtime = null)
{
    /// <summary>The built-in audit workflow (workflows/system/audit.v1.json).</summary>
    public const string AuditWorkflow = "system/audit";

    /// <summary>The trigger fired on the audit dossier for each checkpoint.</summary>
    public const string CheckpointTrigger = "checkpoint-taken";

    /// <summary>Advisory lock key for taking checkpoints ("SubsCkpt").</summary>
    public const long LockKey = 0x537562734370_6b74;

    private const string Columns = "seq, brussels_day, taken_at, dossier_count, event_count, max_journal_seq, head_digest, prev_hash, hash";

    /// <summary>The id of the system audit dossier: fixed, so every installation finds (and creates) the same one.</summary>
    public static Guid AuditDossierId { get; } = new("00000000-0000-8000-8000-00000000a0d1");

    /// <summary>Where the digest notices go (recorded in the audit dossier's data when it is created).</summary>
    public string AuditorsAddress { get; init; } = "audit@example.invalid";

    public static DateOnly BrusselsDay(DateTimeOffset t)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Brussels");
        return DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(t, zone).DateTime);
    }

    /// <summary>
    /// Takes today's checkpoint, or returns it when it was already taken today (idempotent per Brussels day).
    /// The cut is the highest committed seq; the service waits until every append in flight at that moment (holding
    /// ROW EXCLUSIVE on journal) has ended, without blocking appends, so "each dossier's last event with seq &lt;= max_journal_seq" is final and is
    /// exactly what was certified, forever. Needs only SELECT and INSERT (works as <c>subsidy_app</c>).
    /// </summary>
    public async Task<(JournalCheckpoint Checkpoint, bool Created)> TakeAsync(CancellationToken cancellationToken = default)
    {
        var now = JournalEvent.Truncate(clock.GetUtcNow());
        var day = BrusselsDay(now);
        JournalCheckpoint checkpoint;
        await using (var conn = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var tx = await conn.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken))
        {
            await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", conn, tx))
            {
                lockCmd.Parameters.AddWithValue(LockKey);
                await lockCmd.ExecuteNonQueryAsync(cancellationToken);
            }

            var existing = await ReadAllAsync(conn, tx, cancellationToken);
            if (existing.FirstOrDefault(c => c.BrusselsDay == day) is { } today)
            {
                await tx.CommitAsync(cancellationToken);
                await NotifyAsync(today, cancellationToken);
                return (today, false);
            }

            // The cut: the highest committed seq now. An append takes ROW EXCLUSIVE on journal before it draws its seq
            // and keeps it until it ends, so only the transactions holding that lock now can still commit an event with
            // a lower seq. Wait until each of them has ended (appends are not blocked); then "every event with
            // seq <= max" is final and the heads can be recomputed from the journal forever.
            long maxSeq;
            await using (var cut = new NpgsqlCommand("SELECT coalesce(max(seq), 0) FROM journal", conn, tx))
            {
                maxSeq = (long)(await cut.ExecuteScalarAsync(cancellationToken))!;
            }

            const string InFlight = """
                SELECT ARRAY(SELECT DISTINCT virtualtransaction FROM pg_locks
                             WHERE locktype = 'relation' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                               AND relation = 'journal'::regclass AND mode = 'RowExclusiveLock' AND pid <> pg_backend_pid()
                               AND ($1::text[] IS NULL OR virtualtransaction = ANY($1)))
                """;
            string[]? inFlight = null;
            for (var attempt = 0; ; attempt++)
            {
                await using var wait = new NpgsqlCommand(InFlight, conn, tx);
                wait.Parameters.Add(new NpgsqlParameter { Value = (object?)inFlight ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
                inFlight = (string[])(await wait.ExecuteScalarAsync(cancellationToken))!;
                if (inFlight.Length == 0)
                {
                    break;
                }

                if (attempt >= 1500)
                {
                    throw new InvalidOperationException($"checkpoint: appends {string.Join(", ", inFlight)} are still in progress after 30 s; try again later");
                }

                await using var sleep = new NpgsqlCommand("SELECT pg_sleep(0.02)", conn, tx); // wait on the server: no wall clock here
                await sleep.ExecuteNonQueryAsync(cancellationToken);
            }

            long events;
            await using (var count = new NpgsqlCommand("SELECT count(*) FROM journal WHERE seq <= $1", conn, tx))
            {
                count.Parameters.AddWithValue(maxSeq);
                events = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
            }

            var (digest, dossiers) = await HeadDigestAsync(conn, tx, maxSeq, null, cancellationToken);
            var prev = existing.Count > 0 ? existing[^1] : null;
            checkpoint = new JournalCheckpoint(
                (prev?.Seq ?? 0) + 1, day, now, dossiers, events, maxSeq, digest, prev?.Hash ?? JournalEvent.GenesisHash, string.Empty);
            checkpoint = checkpoint with { Hash = checkpoint.ComputeHash() };
            await using (var insert = new NpgsqlCommand(
                $"INSERT INTO journal_checkpoint ({Columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", conn, tx))
            {
                insert.Parameters.AddWithValue(checkpoint.Seq);
                insert.Parameters.AddWithValue(checkpoint.BrusselsDay);
                insert.Parameters.AddWithValue(checkpoint.TakenAt);
                insert.Parameters.AddWithValue(checkpoint.DossierCount);
                insert.Parameters.AddWithValue(checkpoint.EventCount);
                insert.Parameters.AddWithValue(checkpoint.MaxJournalSeq);
                insert.Parameters.AddWithValue(checkpoint.HeadDigest);
                insert.Parameters.AddWithValue(checkpoint.PrevHash);
                insert.Parameters.AddWithValue(checkpoint.Hash);
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }

            await tx.CommitAsync(cancellationToken);
        }

        await NotifyAsync(checkpoint, cancellationToken);
        return (checkpoint, true);
    }

    /// <summary>
    /// Records the checkpoint on the system audit dossier (creating it on first use) so that the outbox mails the
    /// digest. Idempotent: the fire carries the key <c>checkpoint:&lt;seq&gt;</c>. Skipped when no runtime was
    /// given or the audit workflow is not loaded.
    /// </summary>
    private async Task NotifyAsync(JournalCheckpoint c, CancellationToken cancellationToken)
    {
        if (runtime is null || !runtime.Catalog.Contains(AuditWorkflow))
        {
            return;
        }

        if (await runtime.GetAsync(AuditDossierId, cancellationToken) is null)
        {
            try
            {
                await runtime.CreateAsync(
                    new CreateRequest(AuditWorkflow, new JsonObject { ["purpose"] = "journal checkpoints", ["recipient"] = AuditorsAddress }, Actor.System)
                    {
                        DossierId = AuditDossierId,
                        IdempotencyKey = "audit-dossier",
                    },
                    cancellationToken);
            }
            catch (ConcurrencyConflictException)
            {
                // Created concurrently.
            }
        }

        var args = new JsonObject
        {
            ["checkpointAt"] = JournalEvent.FormatTime(c.TakenAt),
            ["checkpoint"] = c.ToJson(),
            ["journal"] = new JsonObject
            {
                ["scope"] = "all dossiers",
                ["eventCount"] = c.EventCount,
                ["firstSequence"] = 1,
                ["lastSequence"] = c.MaxJournalSeq,
                ["algorithm"] = "SHA-256 (sejc1, docs/audit.md)",
                ["headHash"] = c.Hash,
            },
        };
        await runtime.FireAsync(new FireRequest(AuditDossierId, CheckpointTrigger, args, Actor.System) { IdempotencyKey = $"checkpoint:{c.Seq}" }, cancellationToken);
    }

    /// <summary>Every checkpoint, oldest first.</summary>
    public static async Task<IReadOnlyList<JournalCheckpoint>> ReadAllAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ReadAllAsync(conn, null, cancellationToken);
    }

    private static async Task<List<JournalCheckpoint>> ReadAllAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, CancellationToken cancellationToken)
    {
        var list = new List<JournalCheckpoint>();
        await using var cmd = new NpgsqlCommand($"SELECT {Columns} FROM journal_checkpoint ORDER BY seq", conn, tx);
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            list.Add(new JournalCheckpoint(
                r.GetInt64(0), r.GetFieldValue<DateOnly>(1), r.GetFieldValue<DateTimeOffset>(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5),
                r.GetString(6), r.GetString(7), r.GetString(8)));
        }

        return list;
    }

    /// <summary>
    /// The head lines at a checkpoint (each dossier's last event with seq &lt;= <paramref name="maxSeq"/>), sorted,
    /// written to <paramref name="sink"/> when given; returns their SHA-256 and count.
    /// </summary>
    public static async Task<(string Digest, long Dossiers)> HeadDigestAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, long maxSeq, Stream? sink, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long n = 0;
        await using var cmd = new NpgsqlCommand(
            "SELECT DISTINCT ON (dossier_id) dossier_id, dossier_seq, hash FROM journal WHERE seq <= $1 ORDER BY dossier_id, dossier_seq DESC, seq DESC", conn, tx);
        cmd.Parameters.AddWithValue(maxSeq);
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            var line = Encoding.UTF8.GetBytes(JournalCheckpoint.HeadLine(r.GetGuid(0), r.GetInt32(1), r.GetString(2)));
            hash.AppendData(line);
            if (sink is not null)
            {
                await sink.WriteAsync(line, cancellationToken);
            }

            n++;
        }

        return (Convert.ToHexStringLower(hash.GetHashAndReset()), n);
    }
}
