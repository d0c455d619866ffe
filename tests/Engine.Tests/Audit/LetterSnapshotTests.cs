using System.Text.Json.Nodes;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Letters;
using SubsidyEngine.Engine.Mail;
using SubsidyEngine.Engine.Notices;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Engine.Tests.Programmes;
using SubsidyEngine.Templates;
using SubsidyEngine.Pdf;
using SubsidyEngine.Testing;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Engine.Tests.Audit;

/// <summary>
/// Letters from the fire's own snapshot (migration 0030): a notice row carries the dossier data its cause's
/// transaction left, the dispatcher renders and addresses the letter from it alone, and the audit's re-rendering
/// from the journal gives the same bytes. A change of the dossier between the fire and the dispatch does not reach
/// the letter; a notice written before the snapshot existed is rendered from the journal.
/// </summary>
public sealed class LetterSnapshotTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    public async Task InitializeAsync() => await db.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private NoticeLetters Letters(ProgrammeHarness h) =>
        new(new JournalStore(db.DataSource), h.Catalog, new LetterModelBuilder(ProgrammeHarness.Programmes, LetterSettings.Default("http://127.0.0.1:5080")), new LetterRenderer());

    /// <summary>The dispatcher of the service (template composer, no PDFs: they do not enter the HTML hash) sending to <paramref name="outbox"/>.</summary>
    private NoticeDispatcher Dispatcher(ProgrammeHarness h, PdfRenderer pdf, CapturingTransport outbox)
    {
        var options = new NoticeOptions();
        var composer = new TemplateNoticeComposer(Letters(h), ProgrammeHarness.Programmes, pdf, options) { RenderPdfs = false };
        return new NoticeDispatcher(db.DataSource, h.Runtime, composer, outbox, h.Clock, options);
    }

    /// <summary>Every stored letter of <paramref name="dossierId"/>: notice id, template, the cause, the snapshot's event and the stored HTML.</summary>
    private async Task<List<(Guid Id, string Template, int Version, int DossierSeq, int? DataSeq, string Html)>> StoredLettersAsync(Guid dossierId)
    {
        var list = new List<(Guid, string, int, int, int?, string)>();
        await using var cmd = db.DataSource.CreateCommand(
            "SELECT n.id, n.template_id, n.template_version, n.dossier_seq, n.data_seq, l.html FROM notice n JOIN letter l ON l.notice_id = n.id WHERE n.dossier_id = $1 ORDER BY n.dossier_seq, n.id");
        cmd.Parameters.AddWithValue(dossierId);
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            list.Add((r.GetGuid(0), r.GetString(1), r.GetInt32(2), r.GetInt32(3), r.IsDBNull(4) ? null : r.GetInt32(4), r.GetString(5)));
        }

        return list;
    }

    /// <summary>Changes the dossier row behind the journal's back: another contact, no participants, another reference and addressee.</summary>
    private async Task ChangeProjectionAsync(Guid dossierId)
    {
        await using var cmd = db.DataSource.CreateCommand(
            """
            UPDATE dossier SET data = data
                || jsonb_build_object('reference', 'GEWIJZIGD-9999', 'participants', '[]'::jsonb,
                                      'contact', jsonb_build_object('name', 'Iemand Anders', 'email', 'gewijzigd@example.invalid'))
                || jsonb_build_object('applicant', jsonb_set(jsonb_set(data -> 'applicant', '{submitter,name}', '"Gewijzigd Bestuur"'), '{participants}', '[]'::jsonb))
            WHERE id = $1
            """);
        cmd.Parameters.AddWithValue(dossierId);
        Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
    }

    private async Task<JsonObject> ProjectionAsync(Guid dossierId)
    {
        await using var cmd = db.DataSource.CreateCommand("SELECT data::text FROM dossier WHERE id = $1");
        cmd.Parameters.AddWithValue(dossierId);
        return CanonicalJson.ParseObject((string)(await cmd.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task A_letter_dispatched_from_the_notice_snapshot_is_byte_for_byte_the_letter_the_replay_renders_from_the_journal()
    {
        var h = new ProgrammeHarness(db, new DateTimeOffset(2023, 6, 1, 9, 0, 0, TimeSpan.FromHours(2)));
        var (call, app) = await h.AwardedCooperationAsync();
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM notice WHERE data IS NULL OR state IS NULL OR data_seq IS NULL OR caused_at IS NULL"));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM notice WHERE data_seq <> dossier_seq OR caused_at <> created_at"));

        await using var pdf = new PdfRenderer();
        var outbox = new CapturingTransport();
        await Dispatcher(h, pdf, outbox).DispatchDueAsync();

        var journal = new JournalStore(db.DataSource);
        var letters = Letters(h);
        var checkedLetters = 0;
        foreach (var dossier in new[] { call, app })
        {
            var events = await journal.ForDossierAsync(dossier);
            foreach (var stored in await StoredLettersAsync(dossier))
            {
                var replayed = letters.Render(dossier, events, stored.DossierSeq, stored.Template, stored.Version);
                Assert.Equal(replayed.Html, stored.Html); // the same characters, so the same UTF-8 bytes
                Assert.Equal(replayed.Html, outbox.Sent[stored.Id].HtmlBody);
                checkedLetters++;
            }
        }

        Assert.True(checkedLetters >= 2, "the award needs an acknowledgement and an award decision");
        var verification = await new LetterVerifier(db.DataSource, journal, letters).VerifyAsync();
        Assert.True(verification.Ok, string.Join("\n", verification.Divergences));
        Assert.Equal(checkedLetters, verification.Letters);
    }

    [Fact]
    public async Task A_change_of_the_dossier_between_the_fire_and_the_dispatch_reaches_neither_the_letter_nor_its_recipients()
    {
        var h = new ProgrammeHarness(db, new DateTimeOffset(2023, 6, 1, 9, 0, 0, TimeSpan.FromHours(2)));
        var (_, app) = await h.AwardedCooperationAsync();
        var asFired = await ProjectionAsync(app);
        var reference = asFired["reference"]!.GetValue<string>();
        var email = asFired["contact"]!["email"]!.GetValue<string>();
        await ChangeProjectionAsync(app);

        await using var pdf = new PdfRenderer();
        var outbox = new CapturingTransport();
        await Dispatcher(h, pdf, outbox).DispatchDueAsync();

        var sent = outbox.Sent.Values.Where(m => m.Headers[OutgoingMessage.DossierHeader] == app.ToString("D")).ToList();
        Assert.Equal(2, sent.Count); // acknowledgement and award decision
        foreach (var m in sent)
        {
            Assert.Equal(email, Assert.Single(m.To).Address);
            Assert.Equal("plan-samenleven.71002@example.invalid", Assert.Single(m.Cc).Address);
            Assert.Equal(reference, m.Headers[OutgoingMessage.ReferenceHeader]);
            Assert.Contains(reference, m.HtmlBody!, StringComparison.Ordinal);
            Assert.DoesNotContain("GEWIJZIGD", m.HtmlBody!, StringComparison.Ordinal);
            Assert.DoesNotContain("Gewijzigd Bestuur", m.HtmlBody!, StringComparison.Ordinal);
        }

        // The audit renders the same letters from the journal, which never saw the change.
        var letters = Letters(h);
        var verification = await new LetterVerifier(db.DataSource, new JournalStore(db.DataSource), letters).VerifyAsync(app);
        Assert.True(verification.Ok, string.Join("\n", verification.Divergences));
        Assert.Equal(2, verification.Letters);
    }

    /// <summary>
    /// Genk's application with an information request (deadline 28/12/2026) and a later record that moves the
    /// dossier's version past the event that set the deadline.
    /// </summary>
    private static async Task<(Guid App, Actor Genk, FireResult Request, FireResult Record)> InformationRequestedAsync(ProgrammeHarness h)
    {
        var genk = ProgrammeHarness.Municipality("71016");
        var call = await h.Service.OpenCallAsync("plan-samenleven", "2023", ProgrammeHarness.Officer);
        await h.FireAsync(call.DossierId, "open-window", null, ProgrammeHarness.Officer);
        var app = (await h.Service.StartApplicationAsync("plan-samenleven", "2023", "71016", ["71002"], genk)).DossierId;
        await h.FireAsync(app, "save-draft", new JsonObject { ["application"] = ProgrammeHarness.Application(("2.1", 500, 1, 60m)), ["participants"] = new JsonArray("71002") }, genk);
        await h.FireAsync(app, "submit", null, genk);
        h.Clock.SetUtcNow(new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.FromHours(1)).ToUniversalTime());
        var request = await h.FireAsync(app, "request-information", new JsonObject { ["questions"] = "Welke partners werken mee?", ["deadline"] = "2026-12-28" }, ProgrammeHarness.Officer);

        // A later event moves the dossier's version past the one that set the deadline.
        var record = await h.Runtime.AppendRecordAsync(app, "letter.opened", new JsonObject { ["notice"] = Guid.NewGuid().ToString("D"), ["template"] = "information-request" }, genk, "snapshot-test");
        Assert.True(record.Version > request.Version);
        return (app, genk, request, record);
    }

    [Fact]
    public async Task A_reminder_carries_the_dossier_as_the_sweep_read_it_and_the_audit_replays_up_to_that_version()
    {
        var h = new ProgrammeHarness(db, new DateTimeOffset(2023, 5, 27, 9, 0, 0, TimeSpan.FromHours(2)));
        var (app, _, request, record) = await InformationRequestedAsync(h);

        await using var pdf = new PdfRenderer();
        var outbox = new CapturingTransport();
        var dispatcher = Dispatcher(h, pdf, outbox);
        await dispatcher.DispatchDueAsync(); // acknowledgement and information request
        var before = outbox.Sent.Keys.ToHashSet();

        h.Clock.SetUtcNow(new DateTimeOffset(2026, 12, 21, 8, 0, 0, TimeSpan.Zero)); // seven days left
        var reminders = new ReminderSweeper(db.DataSource, h.Runtime, h.Clock, new NoticeOptions());
        Assert.Equal(1, await reminders.SweepAsync());

        // The snapshot is the dossier row at the sweep (its version is past the letter.opened and notice.sent records),
        // while the reminder's cause stays the event that set the deadline.
        Assert.Equal(1, await CountAsync(
            $"SELECT count(*) FROM notice n JOIN dossier d ON d.id = n.dossier_id WHERE n.kind = 'reminder' AND n.dossier_seq = {request.Version} AND n.data_seq = d.version AND d.version > {record.Version} AND n.data = d.data AND n.state = d.state"));
        var asSwept = await ProjectionAsync(app);
        await ChangeProjectionAsync(app);

        await dispatcher.DispatchDueAsync();
        var reminder = Assert.Single(outbox.Sent.Values, m => !before.Contains(m.NoticeId));
        Assert.Equal(asSwept["contact"]!["email"]!.GetValue<string>(), Assert.Single(reminder.To).Address);
        Assert.Contains(asSwept["reference"]!.GetValue<string>(), reminder.HtmlBody!, StringComparison.Ordinal);
        Assert.DoesNotContain("GEWIJZIGD", reminder.HtmlBody!, StringComparison.Ordinal);

        var verification = await new LetterVerifier(db.DataSource, new JournalStore(db.DataSource), Letters(h)).VerifyAsync(app);
        Assert.True(verification.Ok, string.Join("\n", verification.Divergences));
        Assert.Equal(3, verification.Letters);
    }

    /// <summary>
    /// Issue 21: the preview of a letter not sent yet (the letters API, the letter page) shows what the dispatcher
    /// will send. A reminder's snapshot is the dossier at the sweep; the dossier then changes (a journal event, and
    /// the row behind the journal's back) before the dispatch: the preview and the sent letter are the same bytes,
    /// with the reminder's stage, neither the deadline-time data nor the changed dossier.
    /// </summary>
    [Fact]
    public async Task The_preview_of_a_reminder_not_yet_sent_is_byte_for_byte_the_letter_the_dispatcher_then_sends()
    {
        var h = new ProgrammeHarness(db, new DateTimeOffset(2023, 5, 27, 9, 0, 0, TimeSpan.FromHours(2)));
        var (app, genk, request, _) = await InformationRequestedAsync(h);
        await using var pdf = new PdfRenderer();
        var outbox = new CapturingTransport();
        var dispatcher = Dispatcher(h, pdf, outbox);
        await dispatcher.DispatchDueAsync(); // acknowledgement and information request

        h.Clock.SetUtcNow(new DateTimeOffset(2026, 12, 21, 8, 0, 0, TimeSpan.Zero)); // seven days left
        Assert.Equal(1, await new ReminderSweeper(db.DataSource, h.Runtime, h.Clock, new NoticeOptions()).SweepAsync());
        Guid reminderId;
        await using (var cmd = db.DataSource.CreateCommand("SELECT id FROM notice WHERE dossier_id = $1 AND kind = 'reminder'"))
        {
            cmd.Parameters.AddWithValue(app);
            reminderId = (Guid)(await cmd.ExecuteScalarAsync())!;
        }

        // The dossier changes after the sweep: a new application table (journaled), then the row behind the journal's back.
        var changed = await h.FireAsync(app, "update-application", new JsonObject { ["application"] = ProgrammeHarness.Application(("2.1", 400, 1, 60m)) }, genk);
        Assert.True(changed.Version > request.Version + 1);
        await ChangeProjectionAsync(app);
        Assert.Equal(1, await CountAsync($"SELECT count(*) FROM notice n JOIN dossier d ON d.id = n.dossier_id WHERE n.id = '{reminderId}' AND n.data <> d.data AND n.data_seq < d.version"));

        var officer = new AccessScope(ProgrammeHarness.Officer.Id, Roles.Officer, null);
        var previewed = await new DossierLetters(db.DataSource, Letters(h), pdf, h.Runtime).HtmlAsync(officer, app, reminderId);
        Assert.NotNull(previewed);
        Assert.False(previewed.Stored);

        await dispatcher.DispatchDueAsync();
        var sent = outbox.Sent[reminderId];
        Assert.Equal(sent.HtmlBody, previewed.Html); // the same characters, so the same UTF-8 bytes
        Assert.Equal(ComposedNotice.Sha256Of(sent.HtmlBody!), previewed.HtmlSha256);
        Assert.DoesNotContain("GEWIJZIGD", previewed.Html, StringComparison.Ordinal);

        // Once composed, the preview is the stored letter: the same bytes again.
        var stored = await new DossierLetters(db.DataSource, Letters(h), pdf, h.Runtime).HtmlAsync(officer, app, reminderId);
        Assert.True(stored!.Stored);
        Assert.Equal(previewed.Html, stored.Html);
    }

    [Fact]
    public async Task A_notice_written_before_the_snapshot_existed_is_rendered_from_the_journal_with_the_same_bytes()
    {
        var h = new ProgrammeHarness(db, new DateTimeOffset(2023, 6, 1, 9, 0, 0, TimeSpan.FromHours(2)));
        var (_, app) = await h.AwardedCooperationAsync();
        var asFired = await ProjectionAsync(app);

        // As a row written before migration 0030: no snapshot.
        await using (var cmd = db.DataSource.CreateCommand("UPDATE notice SET data = NULL, state = NULL, data_seq = NULL, caused_at = NULL WHERE dossier_id = $1"))
        {
            cmd.Parameters.AddWithValue(app);
            Assert.Equal(2, await cmd.ExecuteNonQueryAsync());
        }

        await using var pdf = new PdfRenderer();
        var outbox = new CapturingTransport();
        await Dispatcher(h, pdf, outbox).DispatchDueAsync();

        var events = await new JournalStore(db.DataSource).ForDossierAsync(app);
        var letters = Letters(h);
        var stored = await StoredLettersAsync(app);
        Assert.Equal(2, stored.Count);
        foreach (var s in stored)
        {
            Assert.Null(s.DataSeq);
            Assert.Equal(letters.Render(app, events, s.DossierSeq, s.Template, s.Version).Html, s.Html);
            Assert.Equal(asFired["contact"]!["email"]!.GetValue<string>(), Assert.Single(outbox.Sent[s.Id].To).Address);
        }

        var verification = await new LetterVerifier(db.DataSource, new JournalStore(db.DataSource), letters).VerifyAsync(app);
        Assert.True(verification.Ok, string.Join("\n", verification.Divergences));
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var cmd = db.DataSource.CreateCommand(sql);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
