using Npgsql;

namespace SubsidyEngine.Engine.Database;

/// <summary>
/// The data source for reads that may be slightly stale: the auditor's replay (<c>replay</c>, the audit endpoints and
/// pages), the exports and the call dashboard. With <c>ConnectionStrings:SubsidyStaleReads</c> set (for example the
/// same hosts as <c>ConnectionStrings:Subsidy</c> with <c>Target Session Attributes=prefer-standby</c>) they run on a
/// standby and take their load off the primary; without it they use the service's own data source.
/// Everything else (every write, every read a decision depends on, the lists and pages an officer acts from) stays on
/// the primary. See docs/deployment.md.
/// </summary>
public sealed class StaleReads : IAsyncDisposable
{
    /// <summary>The DI key of services that read through this data source (e.g. the dashboard's <c>DossierQueries</c>).</summary>
    public const string Key = "stale-reads";

    private readonly bool _owned;

    private StaleReads(NpgsqlDataSource dataSource, bool owned)
    {
        DataSource = dataSource;
        _owned = owned;
    }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>True when the stale reads have a data source of their own (a standby), false when they share the primary's.</summary>
    public bool Separate => _owned;

    /// <summary>The stale reads' data source: <paramref name="connectionString"/> when given, else <paramref name="primary"/>'s.</summary>
    public static StaleReads Create(DatabaseHandle primary, string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return new StaleReads(primary.DataSource, owned: false);
        }

        try
        {
            _ = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"ConnectionStrings:SubsidyStaleReads is not a valid PostgreSQL connection string: {e.Message}", e);
        }

        return new StaleReads(DatabaseHandle.CreateDataSource(connectionString), owned: true);
    }

    public async ValueTask DisposeAsync()
    {
        if (_owned)
        {
            await DataSource.DisposeAsync();
        }
    }
}
