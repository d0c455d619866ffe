using Npgsql;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Database;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Access;

/// <summary>
/// The list reads of the board and the portal at scale (docs/benchmarks.md, scale): a page with data keys reads each
/// row's data once for all its keys; the board's page comes without a count(*) and its total is the sum of the counts
/// per state; the portal asks only about the open calls it names.
/// </summary>
public sealed class ListPageTests
{
    private static async Task InsertAsync(NpgsqlDataSource ds, int n, string workflow, string state, string json, int minutesAgo)
    {
        await using var cmd = ds.CreateCommand(
            "INSERT INTO dossier (id, workflow_id, workflow_version, state, version, data, head_hash, created_at, updated_at) " +
            "VALUES ($1::uuid, $2, 1, $3, 1, $4::jsonb, 'h', now(), now() - make_interval(mins => $5))");
        cmd.Parameters.AddWithValue($"00000000-0000-0000-0000-{n:D12}");
        cmd.Parameters.AddWithValue(workflow);
        cmd.Parameters.AddWithValue(state);
        cmd.Parameters.AddWithValue(json);
        cmd.Parameters.AddWithValue(minutesAgo);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<NpgsqlDataSource> FilledAsync()
    {
        var ds = NpgsqlDataSource.Create(await TestCluster.CreateEmptyDatabaseAsync());
        await new Migrator(ds).MigrateAsync();
        await using (var defs = ds.CreateCommand("INSERT INTO workflow_definition VALUES ('ps/dossier', 1, 'h', 'p', 'c', now()), ('ps/call', 1, 'h', 'p', 'c', now())"))
        {
            await defs.ExecuteNonQueryAsync();
        }

        // 25 applications, newest first by number, each with a large member (stored compressed); one
        // without a title; two calls, one of them open.
        var filler = new string('x', 4000);
        for (var i = 1; i <= 25; i++)
        {
            var title = i == 7 ? string.Empty : $", \"title\": \"Titel {i} é\"";
            await InsertAsync(ds, i, "ps/dossier", i % 3 == 0 ? "submitted" : "draft",
                $$"""{"reference": "PS-{{i}}"{{title}}, "owner": "11002", "plan": {"text": "{{filler}}{{i}}"}, "nothing": null}""", i);
        }

        await InsertAsync(ds, 100, "ps/call", "open", """{"reference": "PS-2023", "call": {"id": "2023"}}""", 0);
        await InsertAsync(ds, 101, "ps/call", "closed", """{"reference": "PS-2022", "call": {"id": "2022"}}""", 0);
        await using (var keys = ds.CreateCommand(
            "INSERT INTO dossier_unique (key, dossier_id) VALUES ('ps/call|2023', '00000000-0000-0000-0000-000000000100'), ('ps/call|2022', '00000000-0000-0000-0000-000000000101')"))
        {
            await keys.ExecuteNonQueryAsync();
        }

        return ds;
    }

    [Fact]
    public async Task A_page_with_data_keys_holds_exactly_those_keys_of_the_newest_dossiers_and_the_counts_sum_to_the_total()
    {
        await using var ds = await FilledAsync();
        var queries = new DossierQueries(ds);
        var officer = new AccessScope("officer", Roles.Officer, null);
        var filter = new DossierFilter { ApplicationsOnly = true };

        var first = await queries.PageAsync(officer, filter, 1, 10, dataKeys: ["reference", "title"]);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => $"PS-{i}"), first.Select(d => (string)d.Data["reference"]!));
        Assert.All(first, d => Assert.Equal(d.Data.ContainsKey("title") ? ["reference", "title"] : ["reference"], d.Data.Select(kv => kv.Key).Order(StringComparer.Ordinal)));
        Assert.Equal("Titel 1 é", (string)first[0].Data["title"]!);
        Assert.False(first[6].Data.ContainsKey("title")); // dossier 7 has none: left out, not null

        var third = await queries.PageAsync(officer, filter, 3, 10, dataKeys: ["reference", "title"]);
        Assert.Equal(Enumerable.Range(21, 5).Select(i => $"PS-{i}"), third.Select(d => (string)d.Data["reference"]!));

        // The same page as the list with its count, whose total the counts per state add up to.
        var listed = await queries.ListAsync(officer, filter, 1, 10, dataKeys: ["reference", "title"]);
        Assert.Equal(listed.Items.Select(d => d.Id), first.Select(d => d.Id));
        var counts = await queries.StateCountsAsync(officer, filter);
        Assert.Equal(25, listed.Total);
        Assert.Equal(listed.Total, counts.Sum(c => c.Count));
        Assert.Equal([("draft", 17L), ("submitted", 8L)], counts.Select(c => (c.State, c.Count)));

        // Without data keys: the whole data.
        var whole = await queries.PageAsync(officer, filter, 1, 1);
        Assert.Equal(4001, ((string)whole[0].Data["plan"]!["text"]!).Length);
    }

    [Fact]
    public async Task The_portal_learns_which_of_the_calls_it_names_are_open()
    {
        await using var ds = await FilledAsync();
        var portal = new PortalQueries(ds);
        Assert.Equal(["ps/call|2023"], await portal.OpenCallKeysAsync(["ps/call|2023", "ps/call|2022", "ps/call|2099"]));
        Assert.Empty(await portal.OpenCallKeysAsync(["ps/call|2022"]));
        Assert.Empty(await portal.OpenCallKeysAsync([]));
    }
}
