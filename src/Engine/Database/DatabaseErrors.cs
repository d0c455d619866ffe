using System.Net.Sockets;
using Npgsql;

namespace SubsidyEngine.Engine.Database;

/// <summary>
/// Which database errors mean "not reachable right now, trying again may work": the service answers them with 503
/// and Retry-After, the notice dispatcher retries them. One list for both, so a failover (docs/deployment.md) is
/// treated the same everywhere.
/// </summary>
public static class DatabaseErrors
{
    /// <summary>
    /// Connection loss, refused connections and time-outs; server shutdown, crash and start-up (57P01-57P03), too many
    /// connections (53xxx), connection exceptions (08xxx); a transaction sent to a server that became a standby
    /// (25006 read_only_sql_transaction, e.g. a pooled connection to a demoted primary); and a multi-host connection
    /// string that found no server of the requested kind yet (Npgsql's "No suitable host was found", during a
    /// failover, before the standby is promoted).
    /// </summary>
    public static bool IsUnavailable(Exception e) => e switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("53", StringComparison.Ordinal) ||
                                pg.SqlState is "57P01" or "57P02" or "57P03" or PostgresErrorCodes.ReadOnlySqlTransaction,
        NpgsqlException n => n.IsTransient || n.InnerException is SocketException or TimeoutException or IOException || IsNoSuitableHost(n) ||
                             (n.InnerException is not null && IsUnavailable(n.InnerException)),
        AggregateException a => a.InnerExceptions.Count > 0 && a.InnerExceptions.All(IsUnavailable),
        SocketException or TimeoutException => true,
        _ => e.InnerException is not null && IsUnavailable(e.InnerException),
    };

    /// <summary>
    /// Npgsql's answer when none of the hosts of a multi-host connection string is (known to be) of the requested kind,
    /// e.g. <c>Target Session Attributes=read-write</c> while the primary is down and the standby not yet promoted. It
    /// has no error code: Npgsql raises a plain <see cref="NpgsqlException"/> with this message
    /// (NpgsqlMultiHostDataSource; with an inner <see cref="AggregateException"/> when it tried and failed to connect).
    /// </summary>
    private static bool IsNoSuitableHost(NpgsqlException n) =>
        n is not PostgresException && (n.Message.StartsWith("No suitable host was found", StringComparison.Ordinal) ||
                                       n.Message.StartsWith("Unable to connect to a suitable host", StringComparison.Ordinal));
}
