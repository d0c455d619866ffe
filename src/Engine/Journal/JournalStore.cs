using System.Runtime.CompilerServices;
using Npgsql;

namespace SubsidyEngine.Engine.Journal;

/// <summary>Reads the journal (append-only; nothing here writes).</summary>
public sealed class JournalStore(NpgsqlDataSource dataSource)
{
    internal const string Columns = "seq, dossier_id, dossier_seq, occurred_at, actor, actor_role, kind, trigger, from_state, to_state, definition_id, definition_version, definition_hash, arguments, effects, prev_hash, hash, format, inputs";

    public static JournalEvent Read(NpgsqlDataReader r) => new()
    {
        Seq = r.GetInt64(0),
        DossierId = r.GetGuid(1),
        DossierSeq = r.GetInt32(2),
        OccurredAt = r.GetFieldValue<DateTimeOffset>(3),
        Actor = r.GetString(4),
        ActorRole = r.GetString(5),
        Kind = r.GetString(6),
        Trigger = r.GetString(7),
        FromState = r.GetString(8),
        ToState = r.GetString(9),
        DefinitionId = r.GetString(10),
        DefinitionVersion = r.GetInt32(11),
        DefinitionHash = r.GetString(12),
        Arguments = r.GetString(13),
        Effects = r.GetString(14),
        PrevHash = r.GetString(15),
        Hash = r.GetString(16),
        Format = r.GetString(17),
        Inputs = r.GetString(18),
    };

    /// <summary>A dossier's events in chain order (by per-dossier sequence, then global sequence).</summary>
    public Task<IReadOnlyList<JournalEvent>> ForDossierAsync(Guid dossierId, CancellationToken cancellationToken = default) =>
        ForDossierAsync(dossierId, 0, int.MaxValue, cancellationToken);

    /// <summary>
    /// A dossier's events after per-dossier sequence <paramref name="afterDossierSeq"/> up to and including
    /// <paramref name="upToDossierSeq"/>, in chain order: what a letter caused by that event needs (and no more), or
    /// the rest of it after a replay that already reached <paramref name="afterDossierSeq"/>.
    /// </summary>
    public async Task<IReadOnlyList<JournalEvent>> ForDossierAsync(Guid dossierId, int afterDossierSeq, int upToDossierSeq, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand(ForDossierSql);
        return await ReadDossierAsync(cmd, dossierId, afterDossierSeq, upToDossierSeq, cancellationToken);
    }

    /// <summary>The same read inside a caller's transaction (one snapshot with what else it reads).</summary>
    public async Task<IReadOnlyList<JournalEvent>> ForDossierAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid dossierId, int afterDossierSeq, int upToDossierSeq, CancellationToken cancellationToken = default)
    {
        await using var cmd = new NpgsqlCommand(ForDossierSql, conn, tx);
        return await ReadDossierAsync(cmd, dossierId, afterDossierSeq, upToDossierSeq, cancellationToken);
    }

    private const string ForDossierSql = $"SELECT {Columns} FROM journal WHERE dossier_id = $1 AND dossier_seq > $2 AND dossier_seq <= $3 ORDER BY dossier_seq, seq";

    private static async Task<IReadOnlyList<JournalEvent>> ReadDossierAsync(NpgsqlCommand cmd, Guid dossierId, int afterDossierSeq, int upToDossierSeq, CancellationToken cancellationToken)
    {
        cmd.Parameters.AddWithValue(dossierId);
        cmd.Parameters.AddWithValue(afterDossierSeq);
        cmd.Parameters.AddWithValue(upToDossierSeq);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<JournalEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(Read(reader));
        }

        return list;
    }

    /// <summary>Streams every event ordered by dossier and chain position, without loading the journal in memory.</summary>
    public async IAsyncEnumerable<JournalEvent> StreamAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var cmd = new NpgsqlCommand($"SELECT {Columns} FROM journal ORDER BY dossier_id, dossier_seq, seq", conn);
        await using var reader = await cmd.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return Read(reader);
        }
    }
}
