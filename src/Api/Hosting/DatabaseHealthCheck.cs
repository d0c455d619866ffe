using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace SubsidyEngine.Api.Hosting;

/// <summary>Ready when the database answers a query and the schema is migrated.</summary>
internal sealed class DatabaseHealthCheck(NpgsqlDataSource dataSource, StartupState startup) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!startup.Completed)
        {
            return HealthCheckResult.Unhealthy("start-up (migrations) not finished");
        }

        try
        {
            await using var cmd = dataSource.CreateCommand("SELECT 1");
            await cmd.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy("database unreachable", e);
        }
    }
}

/// <summary>Set once the start-up work (migrations, definition registration) is done.</summary>
internal sealed class StartupState
{
    public volatile bool Completed;
}
