using Microsoft.Extensions.Logging;
using SubsidyEngine.Engine.Database;

namespace SubsidyEngine.Tools.Database;

/// <summary>The Engine's <see cref="IEmbeddedDatabaseStarter"/>: an <see cref="EmbeddedPostgres"/> cluster with the service's server defaults.</summary>
public sealed class EmbeddedPostgresStarter : IEmbeddedDatabaseStarter
{
    /// <inheritdoc />
    public async Task<IEmbeddedDatabase> StartAsync(EmbeddedDatabaseRequest request, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return await EmbeddedPostgres.StartAsync(
            new EmbeddedPostgresSettings
            {
                ClusterDirectory = request.ClusterDirectory,
                Port = request.Port,
                Database = request.Database,
                BinDirectory = request.BinDirectory,
                StopAdoptedServer = request.StopAdoptedServer,
            },
            logger,
            cancellationToken);
    }
}
