using System.Security.Cryptography;
using System.Text;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Letters;
using SubsidyEngine.Engine.Mail;
using SubsidyEngine.Engine.Notices;
using SubsidyEngine.Engine.Tests.Programmes;
using SubsidyEngine.Templates;
using SubsidyEngine.Pdf;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Audit;

/// <summary>
/// The letter half of the audit: real Plan Samenleven letters are rendered, stored and sent (to .eml files), then
/// re-rendered from the journal by the replay, exported in a bundle that the documented recipe checks, replayed
/// after a new template version was installed, and tampered with in the database and in the bundle.
/// </summary>
public sealed class LetterReplayTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private string _root = string.Empty;

    public async Task InitializeAsync()
    {
        await db.ResetAsync();
        _root = TestCluster.NewTempFolder("letters");
    }

    public Task DisposeAsync()
    {
        TestCluster.TryDelete(_root);
        return Task.CompletedTask;
    }

    private NoticeLetters Letters(ProgrammeHarness h, LetterCatalog catalog) =>
        new(new JournalStore(db.DataSource), h.Catalog,
            new LetterModelBuilder(ProgrammeHarness.Programmes, LetterSettings.Default("http://127.0.0.1:5080")), new LetterRenderer(catalog));

    private AuditReplay Audit(ProgrammeHarness h, LetterCatalog catalog) =>
        new(h.Replayer, new LetterVerifier(db.DataSource, new JournalStore(db.DataSource), Letters(h, catalog)));

    /// <summary>Awards a cooperation and sends its two letters (acknowledgement, award decision; both with a PDF).</summary>
    private async Task<(ProgrammeHarness H, Guid App, Guid Award, Guid Acknowledgement)> SentAsync()
    {
        var h = new ProgrammeHarness(db, new DateTimeOffset(2023, 6, 1, 9, 0, 0, TimeSpan.FromHours(2)));
        var (_, app) = await h.AwardedCooperationAsync();
        var options = new NoticeOptions();
        await using var pdf = new PdfRenderer();
        var composer = new TemplateNoticeComposer(Letters(h, LetterCatalog.Default), ProgrammeHarness.Programmes, pdf, options);
        var transport = new EmlFileMailTransport(Path.Combine(_root, "outbox"), h.Clock, new MessageComposer(new SmtpOptions()));
        var dispatcher = new NoticeDispatcher(db.DataSource, h.Runtime, composer, transport, h.Clock, options);
        await dispatcher.DispatchDueAsync();

        Guid award = Guid.Empty, acknowledgement = Guid.Empty;
        await using (var cmd = db.DataSource.CreateCommand("SELECT n.id, n.template_id FROM notice n JOIN letter l ON l.notice_id = n.id WHERE n.dossier_id = $1 AND n.status = 'sent'"))
        {
            cmd.Parameters.AddWithValue(app);
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync())
            {
                if (r.GetString(1) == "award-decision")
                {
                    award = r.GetGuid(0);
                }
                else if (r.GetString(1) == "acknowledgement")
                {
                    acknowledgement = r.GetGuid(0);
                }
            }
        }

        Assert.NotEqual(Guid.Empty, award);
        Assert.NotEqual(Guid.Empty, acknowledgement);
        return (h, app, award, acknowledgement);
    }

    [Fact]
    public async Task Replay_re_renders_every_stored_letter_and_finds_the_recorded_hashes()
    {
        var (h, app, _, _) = await SentAsync();
        var audit = Audit(h, LetterCatalog.Default);

        var report = await audit.ReplayAsync(app);
        Assert.True(report.Ok, string.Join("\n", report.Divergences));

        var summary = await audit.ReplayAllAsync(new ReplayAllOptions());
        Assert.True(summary.Ok, string.Join("\n", summary.LetterDivergences.Concat(summary.Failures.SelectMany(f => f.Divergences))));
        Assert.True(summary.Letters >= 2, summary.OneLine);
        Assert.Contains($"{summary.Letters} letters, 0 divergences", summary.OneLine, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_letter_changed_in_the_database_is_named_with_its_recomputed_and_recorded_hash()
    {
        var (h, app, award, acknowledgement) = await SentAsync();

        // A superuser rewrites the award letter's amount and its stored hash consistently (the trigger refuses
        // UPDATE, so it is disabled first), and changes the acknowledgement's HTML without its hash.
        await using (var conn = await db.DataSource.OpenConnectionAsync())
        {
            string html;
            await using (var read = new Npgsql.NpgsqlCommand("SELECT html FROM letter WHERE notice_id = $1", conn))
            {
                read.Parameters.AddWithValue(award);
                html = (string)(await read.ExecuteScalarAsync())!;
            }

            Assert.Contains("€\u00A062.000,00", html, StringComparison.Ordinal); // the euro sign and the amount joined by a no-break space
            var forged = html.Replace("€\u00A062.000,00", "€\u00A082.000,00", StringComparison.Ordinal);
            var forgedHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(forged)));
            await using var tamper = new Npgsql.NpgsqlBatch(conn)
            {
                BatchCommands =
                {
                    new("ALTER TABLE letter DISABLE TRIGGER USER"),
                    new("UPDATE letter SET html = $2, html_sha256 = $3 WHERE notice_id = $1") { Parameters = { new() { Value = award }, new() { Value = forged }, new() { Value = forgedHash } } },
                    new("UPDATE letter SET html = html || ' ' WHERE notice_id = $1") { Parameters = { new() { Value = acknowledgement } } },
                    new("ALTER TABLE letter ENABLE TRIGGER USER"),
                },
            };
            await tamper.ExecuteNonQueryAsync();
        }

        var report = await Audit(h, LetterCatalog.Default).ReplayAsync(app);
        Assert.False(report.Ok);
        var fields = report.Divergences.Select(d => d.Field).ToList();
        Assert.Contains($"letter {award:D}: html_sha256", fields);
        Assert.Contains($"letter {acknowledgement:D}: stored html", fields);
        Assert.DoesNotContain(fields, f => f.StartsWith($"letter {acknowledgement:D}: html_sha256", StringComparison.Ordinal)); // its recorded hash still matches the journal
        var awardDivergence = report.Divergences.Single(d => d.Field == $"letter {award:D}: html_sha256");
        var sent = (await new JournalStore(db.DataSource).ForDossierAsync(app)).Single(e => e.Kind == "notice.sent" && e.Arguments.Contains(award.ToString("D"), StringComparison.Ordinal));
        Assert.Equal(CanonicalJson.ParseObject(sent.Arguments)["htmlSha256"]!.GetValue<string>(), awardDivergence.Expected); // recomputed = what was sent

        var all = await Audit(h, LetterCatalog.Default).ReplayAllAsync(new ReplayAllOptions());
        Assert.False(all.Ok);
        Assert.Equal(2, all.LetterDivergences.Count);
    }

    [Fact]
    public async Task Replay_after_a_new_template_version_reproduces_the_old_letter_and_new_notices_name_the_new_version()
    {
        var (h, app, award, _) = await SentAsync();
        var upgraded = LetterCatalog.FromAssemblies(typeof(LetterCatalog).Assembly, typeof(LetterReplayTests).Assembly);
        Assert.Equal(3, upgraded.Latest("award-decision").Version); // a test version after the published ones

        // The service upgraded with award-decision v3: the stored v1 letter is still reproduced byte for byte.
        var later = new ProgrammeHarness(db, h.Clock.GetUtcNow(), upgraded);
        var report = await Audit(later, upgraded).ReplayAsync(app);
        Assert.True(report.Ok, string.Join("\n", report.Divergences));

        // v2 renders the same dossier differently, so reproducing v1 really depended on the recorded version.
        var events = await new JournalStore(db.DataSource).ForDossierAsync(app);
        int seq;
        await using (var cmd = db.DataSource.CreateCommand("SELECT dossier_seq FROM notice WHERE id = $1"))
        {
            cmd.Parameters.AddWithValue(award);
            seq = (int)(await cmd.ExecuteScalarAsync())!;
        }

        var letters = Letters(later, upgraded);
        var v1 = letters.Render(app, events, seq, "award-decision", 1);
        var v2 = letters.Render(app, events, seq, "award-decision", 3);
        Assert.NotEqual(v1.HtmlSha256, v2.HtmlSha256);
        Assert.Contains("Versie 3 van deze brief", v2.Html, StringComparison.Ordinal);

        // On a fresh database, the upgraded service's award decision names v3.
        await db.ResetAsync();
        var fresh = new ProgrammeHarness(db, new DateTimeOffset(2023, 6, 1, 9, 0, 0, TimeSpan.FromHours(2)), upgraded);
        var (_, app2) = await fresh.AwardedCooperationAsync();
        await using var versions = db.DataSource.CreateCommand("SELECT template_version FROM notice WHERE dossier_id = $1 AND template_id = 'award-decision'");
        versions.Parameters.AddWithValue(app2);
        Assert.Equal(3, (int)(await versions.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task A_bundle_carries_the_letters_the_recipe_binds_them_to_the_journal_and_a_forged_letter_fails()
    {
        var (h, app, award, _) = await SentAsync();
        var bundle = Path.Combine(_root, "fresh", "bundle");
        var export = new ExportBundle(db.DataSource, h.Clock);
        var result = await export.ExportAsync(ExportScope.Dossier(app), bundle);
        Assert.True(result.Problems.Count == 0, string.Join("\n", result.Problems));

        var html = Path.Combine(bundle, "letters", $"{award:D}.html");
        var pdf = Path.Combine(bundle, "letters", $"{award:D}.pdf");
        Assert.True(File.Exists(html));
        Assert.True(File.Exists(pdf));
        Assert.Contains($"letters/{award:D}.html", await File.ReadAllTextAsync(Path.Combine(bundle, "manifest.json")), StringComparison.Ordinal);
        var (qpdf, qpdfOut) = AuditHarness.Run("qpdf", bundle, "--check", pdf);
        Assert.True(qpdf == 0, qpdfOut);
        var (text, textOut) = AuditHarness.Run("pdftotext", bundle, pdf, "-");
        Assert.True(text == 0, textOut);
        Assert.Contains("62.000,00", textOut, StringComparison.Ordinal);

        var (shaCommand, script) = AuditHarness.BundleRecipe();
        var scriptPath = Path.Combine(_root, "verify_bundle.py");
        await File.WriteAllTextAsync(scriptPath, script);
        var (sumsCode, sumsOut) = AuditHarness.Run("/bin/bash", Path.GetDirectoryName(bundle)!, "-c", shaCommand);
        Assert.True(sumsCode == 0, sumsOut);
        var (ok, okOut) = AuditHarness.Run("/usr/bin/python3", _root, scriptPath, bundle);
        Assert.True(ok == 0, okOut);

        // Forge the award letter and regenerate SHA256SUMS so that step 1 passes: step 2 still names the event.
        await File.WriteAllTextAsync(html, (await File.ReadAllTextAsync(html)).Replace("62.000,00", "82.000,00", StringComparison.Ordinal), new UTF8Encoding(false));
        var (regen, regenOut) = AuditHarness.Run("/bin/bash", bundle, "-c", "find . -type f ! -name SHA256SUMS -printf '%P\\n' | sort | xargs sha256sum > SHA256SUMS && sha256sum -c --quiet SHA256SUMS");
        Assert.True(regen == 0, regenOut);
        var (forged, forgedOut) = AuditHarness.Run("/usr/bin/python3", _root, scriptPath, bundle);
        Assert.NotEqual(0, forged);
        Assert.Contains($"letters/{award:D}.html does not hash to the htmlSha256 this event recorded", forgedOut, StringComparison.Ordinal);
        Assert.Contains($"dossier {app:D} event", forgedOut, StringComparison.Ordinal);

        // A deleted letter file is named too.
        File.Delete(html);
        var (missing, missingOut) = AuditHarness.Run("/usr/bin/python3", _root, scriptPath, bundle);
        Assert.NotEqual(0, missing);
        Assert.Contains($"letters/{award:D}.html, sent by this event, is missing", missingOut, StringComparison.Ordinal);
    }
}
