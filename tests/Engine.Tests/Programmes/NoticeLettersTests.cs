using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Letters;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Programmes;

/// <summary>
/// <see cref="NoticeLetters"/> renders a letter from the journal (reading the dossier's events up to the causing one)
/// exactly as from the events already read and as from the notice's snapshot, in any order and at once.
/// </summary>
public sealed class NoticeLettersTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    public async Task InitializeAsync() => await db.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Every_letter_renders_the_same_from_the_journal_from_the_events_read_and_from_the_snapshot_in_any_order_and_concurrently()
    {
        var h = new ProgrammeHarness(db, new DateTimeOffset(2023, 6, 1, 9, 0, 0, TimeSpan.FromHours(2)));
        var (call, app) = await h.AwardedCooperationAsync();
        var journal = new JournalStore(db.DataSource);
        NoticeLetters New() => new(journal, h.Catalog, new LetterModelBuilder(ProgrammeHarness.Programmes, LetterSettings.Default("http://127.0.0.1:5080")), new Templates.LetterRenderer());

        var notices = new List<(Guid Dossier, int Seq, string Template, int Version)>();
        var snapshots = new Dictionary<(Guid, int, string), (string Data, DateTimeOffset CausedAt)>();
        await using (var cmd = db.DataSource.CreateCommand("SELECT dossier_id, dossier_seq, template_id, template_version, data::text, caused_at FROM notice WHERE dossier_id = ANY($1) ORDER BY dossier_id, dossier_seq"))
        {
            cmd.Parameters.AddWithValue(new[] { call, app });
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync())
            {
                notices.Add((r.GetGuid(0), r.GetInt32(1), r.GetString(2), r.GetInt32(3)));
                snapshots[(r.GetGuid(0), r.GetInt32(1), r.GetString(2))] = (r.GetString(4), r.GetFieldValue<DateTimeOffset>(5));
            }
        }

        Assert.True(notices.Count(n => n.Dossier == app) >= 2, "the application needs several letters for this test");

        // The reference: each letter from a fresh replay of the dossier's whole journal.
        var expected = new Dictionary<(Guid, int, string), string>();
        foreach (var n in notices)
        {
            var events = await journal.ForDossierAsync(n.Dossier);
            expected[(n.Dossier, n.Seq, n.Template)] = New().Render(n.Dossier, events, n.Seq, n.Template, n.Version).HtmlSha256;
        }

        var kept = New();
        foreach (var order in new[] { notices, Enumerable.Reverse(notices).ToList(), notices })
        {
            foreach (var n in order)
            {
                var letter = await kept.RenderAsync(n.Dossier, n.Seq, n.Template, n.Version);
                Assert.Equal(expected[(n.Dossier, n.Seq, n.Template)], letter.HtmlSha256);
                var (data, causedAt) = snapshots[(n.Dossier, n.Seq, n.Template)];
                Assert.Equal(expected[(n.Dossier, n.Seq, n.Template)], kept.Render(n.Dossier, CanonicalJson.ParseObject(data), causedAt, n.Template, n.Version).HtmlSha256);
            }
        }

        var concurrent = await Task.WhenAll(Enumerable.Range(0, 8).SelectMany(_ => notices).Select(n => Task.Run(async () =>
            (n, (await kept.RenderAsync(n.Dossier, n.Seq, n.Template, n.Version)).HtmlSha256))));
        Assert.All(concurrent, c => Assert.Equal(expected[(c.n.Dossier, c.n.Seq, c.n.Template)], c.HtmlSha256));

        // An unknown dossier is refused.
        await Assert.ThrowsAsync<DossierNotFoundException>(() => kept.RenderAsync(Guid.NewGuid(), 1, notices[0].Template, notices[0].Version));
    }
}
