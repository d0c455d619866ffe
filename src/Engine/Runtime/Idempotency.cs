using System.Security.Cryptography;
using System.Text;
using Npgsql;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Engine.Runtime;

/// <summary>
/// Idempotency keys in the runtime's transactions: what identifies a request, how a used key is answered (the first
/// result, or a refusal when the key belonged to another request), and the claim a creation makes first. The key is
/// stored with the result by the write itself (<see cref="EventWrite.StoreIdempotencyKey"/>); the length rule is
/// <see cref="IdempotencyKeys"/>.
/// </summary>
internal static class Idempotency
{
    /// <summary>What a key holds: the hash of the request that used it and that request's result.</summary>
    public const string ReadKeySql = "SELECT request_hash, result::text FROM idempotency_key WHERE key = $1";

    /// <summary>
    /// Claims an idempotency key for a creation; one row when the key was new, none when it was taken. A creation
    /// claims first because it has no dossier row to lock: a concurrent creation with the same key (and perhaps the
    /// same dossier id) waits on the key until the first commits, then gets the first's result.
    /// </summary>
    private const string ClaimKeySql =
        "INSERT INTO idempotency_key (key, request_hash, dossier_id, result, created_at) VALUES ($1, $2, $3, '{}'::jsonb, now()) ON CONFLICT (key) DO NOTHING RETURNING true";

    /// <summary>What identifies a request for its idempotency key; <paramref name="arguments"/> is the canonical text of its arguments.</summary>
    public static string RequestHash(string trigger, Guid dossierId, string workflow, string arguments, Actor actor) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{trigger}\n{dossierId:D}\n{workflow}\n{actor.Id}\n{actor.Role}\n{arguments}")));

    /// <summary>Refuses a key the runtime does not store (<see cref="IdempotencyKeys.IsStorable"/>).</summary>
    public static void Check(string key)
    {
        if (!IdempotencyKeys.IsStorable(key))
        {
            throw new ArgumentValidationException([new FieldError(IdempotencyKeys.Name, $"must be 1 to {IdempotencyKeys.MaxStoredLength} characters")]);
        }
    }

    /// <summary>The earlier result of a used key; refused when the earlier request was a different one.</summary>
    public static FireResult EarlierResult(string key, string requestHash, string earlierHash, string result) =>
        earlierHash == requestHash
            ? FireResult.FromJson(CanonicalJson.ParseObject(result), replayed: true)
            : throw new IdempotencyConflictException(key);

    /// <summary>The key's unique index refused the key: a concurrent request used it first and committed.</summary>
    public static bool IsKeyTaken(PostgresException e) =>
        e.SqlState == PostgresErrorCodes.UniqueViolation && e.TableName == "idempotency_key";

    /// <summary>
    /// After <see cref="IsKeyTaken"/>: rolls this transaction back (nothing of it stays) and answers as a retry would,
    /// with the committed request's result, or refuses when that was another request.
    /// </summary>
    public static async Task<FireResult> EarlierAfterKeyRaceAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, KeyWrite key, CancellationToken cancellationToken)
    {
        if (tx is not null)
        {
            await tx.RollbackAsync(cancellationToken);
        }

        return await ReadEarlierResultAsync(conn, null, key.Key, key.RequestHash, cancellationToken);
    }

    /// <summary>
    /// Claims a creation's idempotency key inside the transaction (<see cref="ClaimKeySql"/>); the write then stores
    /// the result. Returns the earlier result, or null when the key is new.
    /// </summary>
    public static async Task<FireResult?> ClaimAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string key, string requestHash, Guid dossierId, CancellationToken cancellationToken)
    {
        Check(key);
        await using (var claim = new NpgsqlCommand(ClaimKeySql, conn, tx))
        {
            claim.Parameters.AddWithValue(key);
            claim.Parameters.AddWithValue(requestHash);
            claim.Parameters.AddWithValue(dossierId);
            if (await claim.ExecuteNonQueryAsync(cancellationToken) == 1)
            {
                return null;
            }
        }

        return await ReadEarlierResultAsync(conn, tx, key, requestHash, cancellationToken);
    }

    /// <summary>The stored result of a key claimed earlier; refused when the earlier request was a different one.</summary>
    private static async Task<FireResult> ReadEarlierResultAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string key, string requestHash, CancellationToken cancellationToken)
    {
        await using var read = new NpgsqlCommand(ReadKeySql, conn, tx);
        read.Parameters.AddWithValue(key);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new IdempotencyConflictException(key);
        }

        return EarlierResult(key, requestHash, reader.GetString(0), reader.GetString(1));
    }
}
