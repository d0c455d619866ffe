using Npgsql;

namespace SubsidyEngine.Engine.Database;

/// <summary>
/// A second connection on the server a first one reached. Two transactions that share one snapshot
/// (<c>pg_export_snapshot</c> / <c>SET TRANSACTION SNAPSHOT</c>) must run on the same server, but a multi-host data source
/// (<c>Host=a,b</c> with <c>Target Session Attributes=prefer-standby</c> or <c>Load Balance Hosts=true</c>, see
/// <see cref="StaleReads"/>) may hand the second connection to another node, where the snapshot does not exist.
/// </summary>
public static class SameHost
{
    /// <summary>
    /// Opens a connection to the host and port <paramref name="first"/> is connected to, with its credentials. With a
    /// single-host data source this is an ordinary connection from <paramref name="dataSource"/>.
    /// </summary>
    public static async Task<NpgsqlConnection> OpenBesideAsync(NpgsqlDataSource dataSource, NpgsqlConnection first, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(first);
        var configured = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        if (configured.Host is null || !configured.Host.Contains(',', StringComparison.Ordinal))
        {
            return await dataSource.OpenConnectionAsync(ct);
        }

        // The node the first connection reached, whatever it is now (a standby that was promoted in between is the
        // same server with the same snapshot).
        configured.Host = first.Host;
        configured.Port = first.Port;
        configured.TargetSessionAttributes = null;
        configured.LoadBalanceHosts = false;
        var beside = first.CloneWith(configured.ConnectionString);
        try
        {
            await beside.OpenAsync(ct);
            return beside;
        }
        catch
        {
            await beside.DisposeAsync();
            throw;
        }
    }
}
