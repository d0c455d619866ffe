using System.Text.Json.Nodes;
using MimeKit;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Letters;
using SubsidyEngine.Engine.Mail;
using SubsidyEngine.Engine.Notices;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Pdf;
using SubsidyEngine.Testing;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Engine.Tests.Programmes;

/// <summary>
/// The real programme (workflows, data, register, letter templates) with the real notice services: reminder sweep,
/// timeout sweep, the template composer (PDFs by Chromium) and the dispatcher sending to a real SMTP server.
/// </summary>
public sealed class LetterMailHarness : IAsyncDisposable
{
    public LetterMailHarness(PostgresDatabase db, SmtpTestServer smtp, DateTimeOffset start)
    {
        Db = db;
        Smtp = smtp;
        Programme = new ProgrammeHarness(db, start.ToUniversalTime());
        Options = new SubsidyOptions { Smtp = smtp.CreateSmtpOptions(), Notices = new NoticeOptions() };
        Pdf = new PdfRenderer();
        Journal = new JournalStore(db.DataSource);
        Letters = new NoticeLetters(Journal, Programme.Catalog, new LetterModelBuilder(ProgrammeHarness.Programmes, LetterSettings.Default("http://127.0.0.1:5080")), new Templates.LetterRenderer());
        Composer = new TemplateNoticeComposer(Letters, ProgrammeHarness.Programmes, Pdf, Options.Notices);
        Transport = new SmtpMailTransport(Options.Smtp, Clock);
        Dispatcher = new NoticeDispatcher(db.DataSource, Runtime, Composer, Transport, Clock, Options.Notices);
        Reminders = new ReminderSweeper(db.DataSource, Runtime, Clock, Options.Notices);
    }

    public PostgresDatabase Db { get; }

    public SmtpTestServer Smtp { get; }

    public ProgrammeHarness Programme { get; }

    public SubsidyOptions Options { get; }

    public PdfRenderer Pdf { get; }

    public JournalStore Journal { get; }

    public NoticeLetters Letters { get; }

    public TemplateNoticeComposer Composer { get; }

    public SmtpMailTransport Transport { get; }

    public NoticeDispatcher Dispatcher { get; }

    /// <summary>The officers' reads of the outbox (failed notices, the state of one notice).</summary>
    public NoticeQueries Queries => new(Db.DataSource);

    public ReminderSweeper Reminders { get; }

    public Microsoft.Extensions.Time.Testing.FakeTimeProvider Clock => Programme.Clock;

    public WorkflowRuntime Runtime => Programme.Runtime;

    public static Actor Officer => ProgrammeHarness.Officer;

    public Task<FireResult> FireAsync(Guid id, string trigger, JsonObject? args, Actor actor) => Programme.FireAsync(id, trigger, args, actor);

    /// <summary>What the server's minutely jobs do: timeouts, reminders, then the outbox.</summary>
    public async Task SweepAsync()
    {
        await Programme.Sweeper.FireDueTimeoutsAsync();
        await Reminders.SweepAsync();
        await Dispatcher.DispatchDueAsync();
    }

    /// <summary>Sweeps once a day at <paramref name="utcHour"/>:00 UTC from the day after the clock's day up to and including <paramref name="until"/>.</summary>
    public async Task RunDailyUntilAsync(DateOnly until, int utcHour = 7)
    {
        var day = DateOnly.FromDateTime(Clock.GetUtcNow().UtcDateTime).AddDays(1);
        for (; day <= until; day = day.AddDays(1))
        {
            Clock.SetUtcNow(new DateTimeOffset(day.ToDateTime(new TimeOnly(utcHour, 0)), TimeSpan.Zero));
            await SweepAsync();
        }
    }

    /// <summary>Genk's submitted 2023 application (As in the cooperation), opened in the application window.</summary>
    public async Task<(Guid Call, Guid Application)> SubmittedApplicationAsync(string authority = "71016", string[]? participants = null)
    {
        var genk = ProgrammeHarness.Municipality(authority);
        var call = await Programme.Service.OpenCallAsync("plan-samenleven", "2023", Officer);
        if ((await Runtime.GetAsync(call.DossierId))!.State != "open")
        {
            await FireAsync(call.DossierId, "open-window", null, Officer);
        }

        participants ??= authority == "71016" ? ["71002"] : [];
        var app = await Programme.Service.StartApplicationAsync("plan-samenleven", "2023", authority, participants, genk);
        await FireAsync(app.DossierId, "save-draft", new JsonObject
        {
            ["application"] = ProgrammeHarness.Application(("2.1", 500, 1, 60m), ("5.4", 100, 2, 320m)),
            ["participants"] = new JsonArray(participants.Select(p => (JsonNode)JsonValue.Create(p)!).ToArray()),
        }, genk);
        await FireAsync(app.DossierId, "submit", null, genk);
        return (call.DossierId, app.DossierId);
    }

    /// <summary>The mails sent so far, with the template each came from (from the journal's notice.sent).</summary>
    public async Task<List<SentMail>> SentAsync()
    {
        var templates = new Dictionary<string, (string Template, int Version, Guid Dossier)>(StringComparer.Ordinal);
        await using (var cmd = Db.DataSource.CreateCommand("SELECT arguments, dossier_id FROM journal WHERE kind = 'notice.sent' ORDER BY seq"))
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var args = JsonNode.Parse(reader.GetString(0))!;
                templates[args["messageId"]!.GetValue<string>().Trim('<', '>')] = (args["template"]!.GetValue<string>(), args["version"]!.GetValue<int>(), reader.GetGuid(1));
            }
        }

        var mails = new List<SentMail>();
        foreach (var m in await Smtp.ReadMessagesAsync())
        {
            var (template, version, dossier) = templates.TryGetValue(m.Message.MessageId ?? string.Empty, out var t) ? t : ("?", 0, Guid.Empty);
            mails.Add(new SentMail(template, version, dossier, m.Message, m.EnvelopeRecipients));
        }

        return mails;
    }

    public async ValueTask DisposeAsync()
    {
        await Transport.DisposeAsync();
        await Pdf.DisposeAsync();
    }
}

/// <summary>A delivered mail and the notice template it was rendered from.</summary>
public sealed record SentMail(string Template, int Version, Guid Dossier, MimeMessage Message, IReadOnlyList<string> Recipients)
{
    public string Html => Message.HtmlBody ?? string.Empty;

    /// <summary>The text part with every run of white space (line wraps, no-break spaces) as one space.</summary>
    public string Text => System.Text.RegularExpressions.Regex.Replace(Message.TextBody ?? string.Empty, @"\s+", " ");

    public string Subject => Message.Subject ?? string.Empty;
}
