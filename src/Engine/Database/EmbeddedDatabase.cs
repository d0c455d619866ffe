using Microsoft.Extensions.Logging;

namespace SubsidyEngine.Engine.Database;

/// <summary>Where and how the host's private cluster runs (from <c>Subsidy:DataDirectory</c> and <c>Subsidy:Embedded</c>).</summary>
/// <param name="ClusterDirectory">The cluster folder (PGDATA), <c>DataDirectory/pg</c>.</param>
/// <param name="Port">The loopback port.</param>
/// <param name="Database">The application database, created when missing.</param>
/// <param name="BinDirectory">Explicit folder of the server binaries; searched for when null.</param>
/// <param name="StopAdoptedServer">
/// Whether a server found already running on the folder is stopped on dispose: the service adopts and owns it; a CLI
/// verb running beside a live service leaves it alone.
/// </param>
public sealed record EmbeddedDatabaseRequest(string ClusterDirectory, int Port, string Database, string? BinDirectory, bool StopAdoptedServer);

/// <summary>A running private cluster. Disposing it stops the server this process started (or adopted and owns).</summary>
public interface IEmbeddedDatabase : IAsyncDisposable
{
    /// <summary>Connection string to the application database.</summary>
    string ConnectionString { get; }
}

/// <summary>
/// Starts the service's private PostgreSQL cluster when no <c>ConnectionStrings:Subsidy</c> is configured (the
/// embedded default). The Engine owns this contract and never starts a server itself: the host registers the
/// implementation (<c>SubsidyEngine.Tools.Database.EmbeddedPostgresStarter</c>, decision record
/// docs/decisions/2026-12-07-tools-and-pdf-assemblies.md). A host that registers none needs a connection string.
/// </summary>
public interface IEmbeddedDatabaseStarter
{
    /// <summary>Provisions (first time) or reuses the cluster, starts it and creates the database.</summary>
    Task<IEmbeddedDatabase> StartAsync(EmbeddedDatabaseRequest request, ILogger logger, CancellationToken cancellationToken);
}
