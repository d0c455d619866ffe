using Microsoft.Extensions.Logging;
using Npgsql;
using SubsidyEngine.Engine.Configuration;

namespace SubsidyEngine.Engine.Database;

/// <summary>
/// The service's database: the configured connection string, or the embedded cluster started on demand under
/// <c>DataDirectory/pg</c> by the host's <see cref="IEmbeddedDatabaseStarter"/>. Disposing it stops an embedded
/// cluster this process started.
/// </summary>
public sealed class DatabaseHandle : IAsyncDisposable
{
    private readonly IEmbeddedDatabase? _embedded;

    private DatabaseHandle(string connectionString, IEmbeddedDatabase? embedded)
    {
        ConnectionString = connectionString;
        _embedded = embedded;
        DataSource = CreateDataSource(connectionString);
    }

    /// <summary>
    /// The service's data source over <paramref name="connectionString"/>. A connection string that sets one of
    /// these itself keeps its value:
    /// <list type="bullet">
    /// <item><c>Max Auto Prepare=64</c>: statements the service repeats (a fire's locking read and writes, the API key
    /// lookup) are prepared on each pooled connection after a few uses, so PostgreSQL parses and plans them once per
    /// connection instead of once per execution.</item>
    /// <item><c>No Reset On Close=true</c>: a connection returned to the pool is not reset. Npgsql's reset is seven
    /// statements (SET SESSION AUTHORIZATION DEFAULT, RESET ALL, CLOSE ALL, UNLISTEN *, pg_advisory_unlock_all(),
    /// DISCARD SEQUENCES, DISCARD TEMP) parsed and run before the next use, on every request that touches the
    /// database. The service keeps no session state on pooled connections: no SET outside SET LOCAL, no LISTEN, no
    /// temporary tables, and the migrator's advisory lock is released in a finally block. An unfinished transaction
    /// is still rolled back when its connection is closed (a test holds this). Decision record:
    /// docs/decisions/2026-11-23-no-reset-on-close.md.</item>
    /// </list>
    /// </summary>
    public static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys
            .Cast<string>().Select(k => k.Replace(" ", string.Empty, StringComparison.Ordinal)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (!given.Contains("MaxAutoPrepare"))
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
        }

        if (!given.Contains("NoResetOnClose"))
        {
            builder.ConnectionStringBuilder.NoResetOnClose = true;
        }

        return builder.Build();
    }

    public string ConnectionString { get; }

    /// <summary>True when the service runs on its private cluster (the development sign-in is allowed only then).</summary>
    public bool IsEmbedded => _embedded is not null;

    public NpgsqlDataSource DataSource { get; }

    /// <summary>Uses <paramref name="connectionString"/> when given, else starts the embedded cluster with <paramref name="embedded"/>.</summary>
    /// <exception cref="InvalidOperationException">No connection string, and the host registered no <see cref="IEmbeddedDatabaseStarter"/>.</exception>
    public static async Task<DatabaseHandle> OpenAsync(
        string? connectionString, SubsidyOptions options, IEmbeddedDatabaseStarter? embedded, ILogger logger, bool ownsServer = true, CancellationToken cancellationToken = default)
    {
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            try
            {
                _ = new NpgsqlConnectionStringBuilder(connectionString);
            }
            catch (ArgumentException e)
            {
                throw new InvalidOperationException($"ConnectionStrings:Subsidy is not a valid PostgreSQL connection string: {e.Message}", e);
            }

            return new DatabaseHandle(connectionString, null);
        }

        if (embedded is null)
        {
            throw new InvalidOperationException(
                "No ConnectionStrings:Subsidy is configured and this program has no embedded PostgreSQL: set a connection string (environment variable ConnectionStrings__Subsidy).");
        }

        var cluster = Path.Combine(Path.GetFullPath(options.DataDirectory), "pg");
        logger.LogInformation("No ConnectionStrings:Subsidy configured: using the embedded PostgreSQL cluster in {Directory}", cluster);
        var started = await embedded.StartAsync(
            new EmbeddedDatabaseRequest(cluster, options.Embedded.Port, options.Embedded.Database, options.Embedded.BinDirectory, ownsServer),
            logger,
            cancellationToken);
        return new DatabaseHandle(started.ConnectionString, started);
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        if (_embedded is not null)
        {
            await _embedded.DisposeAsync();
        }
    }
}
