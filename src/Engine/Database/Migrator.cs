using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace SubsidyEngine.Engine.Database;

/// <summary>One numbered schema migration (<c>Migrations/0001_name.sql</c>).</summary>
public sealed record Migration(int Version, string Name, string Sql)
{
    public string Checksum => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)));
}

/// <summary>Raised when the database holds a migration that differs from the file of the same number.</summary>
public sealed class MigrationMismatchException(string message) : Exception(message);

/// <summary>
/// Applies the numbered SQL files embedded in this assembly, in order of number (gaps allowed, duplicates and a new
/// migration below an applied one refused), each in its own transaction, recording
/// each in <c>schema_version</c>. A session advisory lock makes concurrent starters wait for each other, so two
/// processes starting together apply every migration once.
/// </summary>
public sealed partial class Migrator(NpgsqlDataSource dataSource, ILogger<Migrator>? logger = null)
{
    /// <summary>Advisory lock key ("SubsidyE" as ASCII bytes), shared by every process of the service.</summary>
    public const long LockKey = 0x5375627369647945;

    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    [GeneratedRegex(@"^(?<v>\d{4})_(?<n>[a-z0-9_]+)\.sql$")]
    private static partial Regex FileName();

    /// <summary>The migrations shipped with this build, ordered by number.</summary>
    public static IReadOnlyList<Migration> Embedded { get; } = LoadEmbedded();

    private static List<Migration> LoadEmbedded()
    {
        var asm = typeof(Migrator).Assembly;
        var list = new List<Migration>();
        foreach (var resource in asm.GetManifestResourceNames().Where(n => n.Contains(".Migrations.", StringComparison.Ordinal)))
        {
            var file = resource[(resource.IndexOf(".Migrations.", StringComparison.Ordinal) + ".Migrations.".Length)..];
            var m = FileName().Match(file);
            if (!m.Success)
            {
                throw new InvalidOperationException($"Migration resource '{file}' does not follow NNNN_name.sql.");
            }

            using var stream = asm.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            list.Add(new Migration(int.Parse(m.Groups["v"].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups["n"].Value, reader.ReadToEnd()));
        }

        list.Sort((a, b) => a.Version.CompareTo(b.Version));
        // Numbers may leave gaps (parallel branches take separate ranges, e.g. 0007-0009, 0010-, 0020-), but each
        // number is used once; MigrateAsync refuses to apply a migration below one already applied.
        for (var i = 1; i < list.Count; i++)
        {
            if (list[i].Version == list[i - 1].Version)
            {
                throw new InvalidOperationException($"Two migrations are numbered {list[i].Version:D4}: {list[i - 1].Name} and {list[i].Name}.");
            }
        }

        return list;
    }

    /// <summary>Applies the pending migrations and returns how many were applied.</summary>
    public async Task<int> MigrateAsync(CancellationToken cancellationToken = default) => await MigrateAsync(Embedded, cancellationToken);

    /// <summary>Applies the given migrations (tests pass their own lists).</summary>
    public async Task<int> MigrateAsync(IReadOnlyList<Migration> migrations, CancellationToken cancellationToken = default)
    {
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_lock($1)", conn))
        {
            lockCmd.Parameters.AddWithValue(LockKey);
            await lockCmd.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            // Only create the version table when it is missing: a least-privilege role (no CREATE on the schema)
            // can then start the service on an already migrated database.
            bool exists;
            await using (var probe = new NpgsqlCommand("SELECT to_regclass('schema_version') IS NOT NULL", conn))
            {
                exists = (bool)(await probe.ExecuteScalarAsync(cancellationToken))!;
            }

            if (!exists)
            {
                await using (var create = new NpgsqlCommand(
                    """
                    CREATE TABLE IF NOT EXISTS schema_version (
                        version     integer PRIMARY KEY,
                        name        text NOT NULL,
                        checksum    text NOT NULL,
                        applied_at  timestamptz NOT NULL DEFAULT now()
                    )
                    """, conn))
                {
                    await create.ExecuteNonQueryAsync(cancellationToken);
                }
            }

            var applied = new Dictionary<int, string>();
            await using (var read = new NpgsqlCommand("SELECT version, checksum FROM schema_version", conn))
            await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    applied[reader.GetInt32(0)] = reader.GetString(1);
                }
            }

            var count = 0;
            var highestApplied = applied.Count == 0 ? 0 : applied.Keys.Max();
            foreach (var migration in migrations)
            {
                if (!applied.ContainsKey(migration.Version) && migration.Version < highestApplied)
                {
                    throw new MigrationMismatchException(
                        $"Migration {migration.Version:D4}_{migration.Name} is new but numbered below {highestApplied:D4}, which is already applied; renumber it above the highest published migration.");
                }

                if (applied.TryGetValue(migration.Version, out var checksum))
                {
                    if (checksum != migration.Checksum)
                    {
                        throw new MigrationMismatchException(
                            $"Migration {migration.Version:D4}_{migration.Name} was changed after it was applied; published migrations are immutable: add a new numbered file instead.");
                    }

                    continue;
                }

                await using var tx = await conn.BeginTransactionAsync(cancellationToken);
                await using (var apply = new NpgsqlCommand(migration.Sql, conn, tx))
                {
                    await apply.ExecuteNonQueryAsync(cancellationToken);
                }

                await using (var record = new NpgsqlCommand("INSERT INTO schema_version (version, name, checksum) VALUES ($1, $2, $3)", conn, tx))
                {
                    record.Parameters.AddWithValue(migration.Version);
                    record.Parameters.AddWithValue(migration.Name);
                    record.Parameters.AddWithValue(migration.Checksum);
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }

                await tx.CommitAsync(cancellationToken);
                _logger.LogInformation("Applied migration {Version:D4}_{Name}", migration.Version, migration.Name);
                count++;
            }

            return count;
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", conn);
            unlock.Parameters.AddWithValue(LockKey);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }
}
