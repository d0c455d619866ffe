using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Engine.Runtime;

/// <summary>
/// Fires the timeout triggers of deadlines that have passed, set-based and in batches. Exactly once however
/// many sweepers run: each fire carries the idempotency key <c>timeout:&lt;deadline id&gt;</c> and closes the
/// deadline in its own transaction.
/// </summary>
public sealed class DeadlineSweeper(NpgsqlDataSource dataSource, WorkflowRuntime runtime, TimeProvider clock, ILogger<DeadlineSweeper>? logger = null)
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    /// <summary>Fires every due timeout; returns how many fired.</summary>
    public async Task<int> FireDueTimeoutsAsync(int batchSize = 500, CancellationToken cancellationToken = default)
    {
        var fired = 0;
        while (true)
        {
            var due = new List<(Guid Id, Guid Dossier, string Trigger, string Kind)>();
            await using (var cmd = dataSource.CreateCommand(
                "SELECT id, dossier_id, timeout_trigger, kind FROM deadline WHERE status = 'open' AND timeout_trigger IS NOT NULL AND due_at <= $1 ORDER BY due_at, id LIMIT $2"))
            {
                cmd.Parameters.AddWithValue(clock.GetUtcNow().ToUniversalTime());
                cmd.Parameters.AddWithValue(batchSize);
                await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    due.Add((reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3)));
                }
            }

            if (due.Count == 0)
            {
                return fired;
            }

            var progressed = 0;
            foreach (var d in due)
            {
                try
                {
                    var result = await runtime.FireAsync(
                        new FireRequest(d.Dossier, d.Trigger, new JsonObject { ["deadline"] = d.Kind, ["deadlineId"] = d.Id.ToString("D") }, Actor.System)
                        {
                            IdempotencyKey = $"timeout:{d.Id:D}",
                            TimeoutDeadlineId = d.Id,
                        },
                        cancellationToken);
                    if (!result.Replayed)
                    {
                        fired++;
                    }

                    progressed++;
                }
                catch (Exception e) when (e is TriggerNotPermittedException or TransitionForbiddenException or ArgumentValidationException)
                {
                    // The dossier moved on: the timeout no longer applies. Close it so the sweep does not retry forever.
                    _logger.LogWarning("Timeout {Trigger} of deadline {Deadline} not applicable: {Message}", d.Trigger, d.Id, e.Message);
                    await using var close = dataSource.CreateCommand("UPDATE deadline SET status = 'cleared', closed_at = $2 WHERE id = $1 AND status = 'open'");
                    close.Parameters.AddWithValue(d.Id);
                    close.Parameters.AddWithValue(clock.GetUtcNow().ToUniversalTime());
                    await close.ExecuteNonQueryAsync(cancellationToken);
                    progressed++;
                }
            }

            if (progressed == 0 || due.Count < batchSize)
            {
                return fired;
            }
        }
    }
}
