using System.Text.Json.Nodes;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Letters;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Programmes;

/// <summary>
/// A letter is addressed as the register stood when the dossier took its applicant from it (journaled with the
/// creation's inputs), so a later change of the register changes neither a letter still to be sent nor the audit's
/// re-rendering of one that was.
/// </summary>
public sealed class LetterAddresseeTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    public async Task InitializeAsync() => await db.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task The_addressee_comes_from_the_dossier_not_from_todays_register()
    {
        var h = new ProgrammeHarness(db, new DateTimeOffset(2023, 6, 1, 9, 0, 0, TimeSpan.FromHours(2)));
        var (_, app) = await h.AwardedCooperationAsync();
        var data = (await h.Runtime.GetAsync(app))!.Data;
        var owner = data["owner"]!.GetValue<string>();
        var registered = ProgrammeHarness.Programmes.Authorities.Find(owner)!.Address;
        Assert.Equal(registered, data["applicant"]!["submitter"]!["address"]!.GetValue<string>());

        // The same register with the submitter's address changed.
        var csv = Path.Combine(Path.GetTempPath(), $"authorities-{Guid.NewGuid():N}.csv");
        var source = Path.Combine(ProgrammeHarness.RepoRoot, "data", "authorities", "flemish-authorities-demo.csv");
        await File.WriteAllTextAsync(csv, (await File.ReadAllTextAsync(source)).Replace(registered, "Stadhuisplein 9 te Elders", StringComparison.Ordinal));
        try
        {
            var moved = ProgrammeCatalog.Load(Path.Combine(ProgrammeHarness.RepoRoot, "workflows"), csv);
            Assert.Equal("Stadhuisplein 9 te Elders", moved.Authorities.Find(owner)!.Address);
            var journal = new JournalStore(db.DataSource);
            NoticeLetters Letters(ProgrammeCatalog programmes) =>
                new(journal, h.Catalog, new LetterModelBuilder(programmes, LetterSettings.Default("http://127.0.0.1:5080")), new Templates.LetterRenderer());

            await using var cmd = db.DataSource.CreateCommand($"SELECT dossier_seq, template_id, template_version FROM notice WHERE dossier_id = '{app}' ORDER BY dossier_seq LIMIT 1");
            await using var r = await cmd.ExecuteReaderAsync();
            Assert.True(await r.ReadAsync());
            var (seq, template, version) = (r.GetInt32(0), r.GetString(1), r.GetInt32(2));
            var then = await Letters(ProgrammeHarness.Programmes).RenderAsync(app, seq, template, version);
            var now = await Letters(moved).RenderAsync(app, seq, template, version);
            Assert.Contains(registered, then.Html, StringComparison.Ordinal);
            Assert.Equal(then.HtmlSha256, now.HtmlSha256);
        }
        finally
        {
            File.Delete(csv);
        }
    }
}
