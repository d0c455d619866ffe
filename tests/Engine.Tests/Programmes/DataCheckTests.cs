using System.Text.Json.Nodes;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Programmes;

/// <summary>
/// check-data (issue 17): a stored dossier whose data no longer matches the schema of the arguments that wrote it
/// (a hand edit, an old version's junk) is listed with the JSON path, and the reads a user triggers on it still
/// answer instead of crashing.
/// </summary>
public sealed class DataCheckTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    public async Task InitializeAsync() => await db.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private DataCheck Check(ProgrammeHarness h, int pageSize = 1_000) => new(db.DataSource, h.Catalog, h.Runtime, ProgrammeHarness.Programmes, h.Clock) { PageSize = pageSize };

    [Fact]
    public async Task Junk_in_stored_data_is_listed_with_its_path_and_reads_do_not_crash()
    {
        var h = new ProgrammeHarness(db, new DateTimeOffset(2023, 5, 27, 9, 0, 0, TimeSpan.FromHours(2)));
        await h.OpenCallWindowAsync("plan-samenleven", "2023");
        var genk = ProgrammeHarness.Municipality("71016");
        var app = await h.Service.StartApplicationAsync("plan-samenleven", "2023", "71016", ["71002"], genk);
        await h.FireAsync(app.DossierId, "save-draft", new JsonObject { ["application"] = ProgrammeHarness.Application(("2.1", 500, 1, 60m)) }, genk);

        var clean = await Check(h).CheckAllAsync();
        Assert.True(clean.Ok, string.Join("\n", clean.Problems));
        Assert.Equal(2, clean.Dossiers);

        // What the trust boundary now refuses at the door, written behind its back.
        await using (var cmd = db.DataSource.CreateCommand(
            "UPDATE dossier SET data = jsonb_set(jsonb_set(jsonb_set(data, '{application,rows}', '[1, {\"action\": \"2.1\", \"plannedAdditionalReach\": \"500\", \"priority\": 1}]'), " +
            "'{participants}', '[5, null]'), '{contact,email}', '\"a@x, victim@y\"') WHERE id = $1"))
        {
            cmd.Parameters.AddWithValue(app.DossierId);
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
        }

        var report = await Check(h).CheckAllAsync();
        var paths = report.Problems.Where(p => p.DossierId == app.DossierId).Select(p => p.Path).ToHashSet(StringComparer.Ordinal);
        Assert.False(report.Ok);
        // Read page by page (one dossier per page here): the same dossiers, the same problems.
        var paged = await Check(h, pageSize: 1).CheckAllAsync();
        Assert.Equal(report.Dossiers, paged.Dossiers);
        Assert.Equal(report.Problems.Select(p => p.ToString()), paged.Problems.Select(p => p.ToString()));
        Assert.Contains("$.application.rows[0]", paths);
        Assert.Contains("$.application.rows[1].plannedAdditionalReach", paths);
        Assert.Contains("$.participants[0]", paths);
        Assert.Contains("$.contact.email", paths);
        Assert.DoesNotContain(report.Problems, p => p.Path == "$" && p.Problem.Contains("cannot be read", StringComparison.Ordinal));

        // The reads behind /transitions, /application and the dossier page answer on the junk.
        var options = await h.Runtime.GetOptionsAsync(app.DossierId, genk);
        Assert.Contains(options, o => o.Trigger == "submit");
        var snapshot = (await h.Runtime.GetAsync(app.DossierId))!;
        Assert.NotNull(ApplicationTableView.Of(ProgrammeHarness.Programmes, snapshot.Data, snapshot.State, h.Clock.GetUtcNow()));
    }

    [Fact]
    public async Task A_dossier_on_an_unknown_state_or_call_is_listed()
    {
        var h = new ProgrammeHarness(db, new DateTimeOffset(2023, 5, 27, 9, 0, 0, TimeSpan.FromHours(2)));
        await h.OpenCallWindowAsync("plan-samenleven", "2023");
        var app = await h.Service.StartApplicationAsync("plan-samenleven", "2023", "71016", [], ProgrammeHarness.Municipality("71016"));
        await using (var cmd = db.DataSource.CreateCommand("UPDATE dossier SET state = 'limbo', data = jsonb_set(data, '{call,id}', '\"9999\"') WHERE id = $1"))
        {
            cmd.Parameters.AddWithValue(app.DossierId);
            await cmd.ExecuteNonQueryAsync();
        }

        var report = await Check(h).CheckAllAsync();
        Assert.Contains(report.Problems, p => p.DossierId == app.DossierId && p.Problem.Contains("'limbo'", StringComparison.Ordinal));
        Assert.Contains(report.Problems, p => p.DossierId == app.DossierId && p.Path == "$.call.id");
    }
}
