using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Letters;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Tests.Programmes;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Audit;

/// <summary>
/// Journals and letters written by earlier builds keep replaying: every event re-executes to the effects it recorded
/// (deadline times included, however the deadline rules changed since) and every stored letter re-renders to the
/// bytes that were sent, with the template version and the letter model of its time.
/// </summary>
public sealed class LegacyJournalReplayTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    public async Task InitializeAsync() => await db.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("before-issue-19")]
    public async Task A_database_written_by_an_earlier_build_replays_and_re_renders_every_letter_byte_for_byte(string fixture)
    {
        await LegacyJournal.LoadAsync(db.DataSource, fixture);
        var h = new ProgrammeHarness(db, DateTimeOffset.UtcNow);
        var journal = new JournalStore(db.DataSource);
        // The letter settings of the build that wrote the fixture (its recovery letters name the placeholder account),
        // and the register of its time: its dossiers predate the journaled address, so their letters were addressed
        // from the register as it then stood (docs/audit.md, "Letters of dossiers started before ...").
        var register = ProgrammeCatalog.Load(Path.Combine(ProgrammeHarness.RepoRoot, "workflows"), LegacyJournal.RegisterPath(fixture));
        var letters = new NoticeLetters(journal, h.Catalog, new LetterModelBuilder(register, LetterSettings.Default("http://127.0.0.1:5080") with { AgencyIban = LetterSettings.PlaceholderAgencyIbanBefore20261207 }), new Templates.LetterRenderer());

        var report = await new AuditReplay(h.Replayer, new LetterVerifier(db.DataSource, journal, letters)).ReplayAllAsync(new ReplayAllOptions());

        Assert.True(report.Ok, report.OneLine + "\n" + string.Join("\n", report.Failures.SelectMany(f => f.Divergences).Concat(report.LetterDivergences).Select(d => d.ToString())));
        Assert.Equal(3, report.Dossiers);
        Assert.Equal(20, report.Letters);
    }

    [Fact]
    public async Task A_call_dossier_on_the_first_call_version_moves_to_the_runtime_2_version_and_still_replays()
    {
        await LegacyJournal.LoadAsync(db.DataSource, "before-issue-19");
        var h = new ProgrammeHarness(db, DateTimeOffset.UtcNow);
        var before = await CallsAsync();
        Assert.Equal(1, Assert.Single(before).Version);

        var plan = await h.Migrator.DryRunAsync("plan-samenleven-call-server-facts-v1-to-v2");
        Assert.Single(plan.Movable);
        var applied = await h.Migrator.ApplyAsync("plan-samenleven-call-server-facts-v1-to-v2", ProgrammeHarness.Officer);

        Assert.Single(applied.Movable);
        var after = Assert.Single(await CallsAsync());
        Assert.Equal((2, before[0].State), (after.Version, after.State));
        Assert.Equal(0, (await h.Replayer.ReplayAllAsync()).DivergentDossiers);
        var check = await new DataCheck(db.DataSource, h.Catalog, h.Runtime, ProgrammeHarness.Programmes, h.Clock).CheckAllAsync();
        Assert.DoesNotContain(check.Problems, p => p.DossierId == after.Id);
    }

    private async Task<List<(Guid Id, int Version, string State)>> CallsAsync()
    {
        await using var cmd = db.DataSource.CreateCommand("SELECT id, workflow_version, state FROM dossier WHERE workflow_id = 'plan-samenleven/call'");
        await using var reader = await cmd.ExecuteReaderAsync();
        var calls = new List<(Guid, int, string)>();
        while (await reader.ReadAsync())
        {
            calls.Add((reader.GetGuid(0), reader.GetInt32(1), reader.GetString(2)));
        }

        return calls;
    }
}
