using System.Text.Json.Nodes;
using Npgsql;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Programmes;

/// <summary>
/// The cross-dossier facts a fire on an application reads inside its transaction (the other applications of the call
/// that share a member, the previous call's applications of the members) are found through the owner and participants
/// indexes: on a call of 20,000 applications, PostgreSQL reads the members' own applications, not the call. The
/// plan's shape is checked here; the time per fire is measured in the benchmarks, not here.
/// </summary>
public sealed class CrossDossierInputCostTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private const string Workflow = "cost-test/dossier";
    private const int CallSize = 20_000;

    public async Task InitializeAsync() => await db.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task The_other_applications_of_a_big_call_are_read_through_the_member_indexes_not_by_scanning_the_call()
    {
        await using (var fill = db.DataSource.CreateCommand(
            $"""
            INSERT INTO workflow_definition (workflow_id, version, content_hash, source_path, content, registered_at)
            VALUES ('{Workflow}', 1, 'h', 'test', 'x', now());
            INSERT INTO dossier (id, workflow_id, workflow_version, state, version, data, head_hash, created_at, updated_at)
            SELECT gen_random_uuid(), '{Workflow}', 1, CASE WHEN i % 10 = 0 THEN 'draft' ELSE 'submitted' END, 1,
                   jsonb_build_object(
                       'owner', lpad((10000 + i % 300)::text, 5, '0'),
                       'participants', CASE WHEN i % 7 = 0 THEN jsonb_build_array(lpad((10000 + (i * 13) % 300)::text, 5, '0')) ELSE '[]'::jsonb END,
                       'call', jsonb_build_object('id', CASE WHEN i % 2 = 0 THEN '2023' ELSE '2024' END)),
                   'h', now(), now()
            FROM generate_series(1, {CallSize * 2}) AS i;
            ANALYZE dossier;
            """))
        {
            await fill.ExecuteNonQueryAsync();
        }

        await using var cmd = db.DataSource.CreateCommand("EXPLAIN (ANALYZE, FORMAT JSON) " + ProgrammeInputs.SharingSql);
        cmd.Parameters.AddWithValue(Workflow);
        cmd.Parameters.AddWithValue(new[] { "10017", "10042" });
        cmd.Parameters.AddWithValue(Guid.NewGuid());
        cmd.Parameters.AddWithValue("2023");
        cmd.Parameters.AddWithValue(ProgrammeService.NotCounting);
        var plan = JsonNode.Parse((string)(await cmd.ExecuteScalarAsync())!)!.AsArray()[0]!["Plan"]!;

        var nodes = Flatten(plan).ToList();
        var scanned = nodes.Where(n => (string?)n["Relation Name"] == "dossier").ToList();
        Assert.NotEmpty(scanned);
        Assert.DoesNotContain(scanned, n => (string)n["Node Type"]! == "Seq Scan");
        var indexes = nodes.Select(n => (string?)n["Index Name"]).OfType<string>().ToHashSet(StringComparer.Ordinal);
        Assert.Contains("dossier_by_owner", indexes);
        Assert.Contains("dossier_by_participants", indexes);
        // Rows PostgreSQL looked at in the table: the two members' own applications (about 2 x 2 x 40,000 / 300 with
        // their participations), far below the call's 20,000.
        var looked = scanned.Sum(n => (long)n["Actual Rows"]! + ((long?)n["Rows Removed by Filter"] ?? 0) + ((long?)n["Rows Removed by Index Recheck"] ?? 0));
        Assert.True(looked < 1_000, $"the query looked at {looked} dossier rows for two members on a call of {CallSize:N0}: {plan.ToJsonString()}");
    }

    private static IEnumerable<JsonNode> Flatten(JsonNode node)
    {
        yield return node;
        foreach (var child in node["Plans"]?.AsArray() ?? [])
        {
            foreach (var n in Flatten(child!))
            {
                yield return n;
            }
        }
    }
}
