using System.Text.Json.Nodes;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Mail;
using SubsidyEngine.Engine.Notices;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Engine.Tests.Runtime;
using SubsidyEngine.Testing;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Engine.Tests.Notices;

/// <summary>Tiny made-up machines with reminding deadlines.</summary>
public static class NoticeDefinitions
{
    /// <summary>A report deadline set at creation (reminders, no timeout); submitting meets it, closing clears it.</summary>
    public const string Report = """
    {
      "id": "test/report",
      "version": 1,
      "initial": "Open",
      "creation": {
        "roles": ["officer"],
        "parameters": [
          { "name": "owner", "type": "string" },
          { "name": "participants", "type": "array" },
          { "name": "reference", "type": "string" },
          { "name": "contact", "type": "object" },
          { "name": "due", "type": "datetime", "required": true }
        ],
        "effects": [ { "deadline": { "kind": "report", "at": "args.due", "remind": true } } ]
      },
      "states": [ { "id": "Open" }, { "id": "Reported", "terminal": true }, { "id": "Closed", "terminal": true } ],
      "triggers": [ { "id": "submit" }, { "id": "close" }, { "id": "send-letter" } ],
      "transitions": [
        { "from": "Open", "trigger": "submit", "to": "Reported", "roles": ["officer", "municipality"], "effects": [ { "clearDeadline": "report" }, { "notice": "notice-a" } ] },
        { "from": "Open", "trigger": "close", "to": "Closed", "roles": ["officer"] },
        { "from": "Open", "trigger": "send-letter", "roles": ["officer"], "effects": [ { "letter": "letter-a" } ] }
      ]
    }
    """;

    /// <summary>A decision deadline with reminders and a timeout that moves the dossier to Expired.</summary>
    public const string Timed = """
    {
      "id": "test/timed",
      "version": 1,
      "initial": "Waiting",
      "creation": {
        "roles": ["officer"],
        "parameters": [ { "name": "owner", "type": "string" }, { "name": "reference", "type": "string" }, { "name": "due", "type": "datetime", "required": true } ],
        "effects": [ { "deadline": { "kind": "decision", "at": "args.due", "timeout": "expire", "remind": true } } ]
      },
      "states": [ { "id": "Waiting" }, { "id": "Expired", "terminal": true } ],
      "triggers": [ { "id": "expire", "automatic": true } ],
      "transitions": [ { "from": "Waiting", "trigger": "expire", "to": "Expired", "roles": ["system"] } ]
    }
    """;
}

/// <summary>A runtime harness plus the notice services over a test database and SMTP server, on one fake clock.</summary>
public sealed class NoticeHarness
{
    public NoticeHarness(PostgresDatabase db, SmtpTestServer? smtp = null)
    {
        Runtime = new RuntimeHarness(db, [NoticeDefinitions.Report, NoticeDefinitions.Timed]);
        Smtp = smtp;
        Composer = new PlainNoticeComposer(Options.Notices);
        Reminders = NewReminderSweeper();
        Calendar = new CalendarFeed(db.DataSource, Clock, Options);
    }

    public RuntimeHarness Runtime { get; }

    public Microsoft.Extensions.Time.Testing.FakeTimeProvider Clock => Runtime.Clock;

    public SmtpTestServer? Smtp { get; }

    public SubsidyOptions Options { get; } = new() { Notices = new NoticeOptions { FallbackRecipient = "team@abb.example.be" } };

    public PlainNoticeComposer Composer { get; }

    public ReminderSweeper Reminders { get; }

    public CalendarFeed Calendar { get; }

    public static Actor Officer => RuntimeHarness.Officer;

    /// <summary>The officers' reads of the outbox (failed notices, the state of one notice).</summary>
    public NoticeQueries Queries => new(Runtime.Db.DataSource);

    public ReminderSweeper NewReminderSweeper() => new(Runtime.Db.DataSource, Runtime.Runtime, Clock, Options.Notices);

    /// <summary>A dispatcher with its own SMTP connection to the test server (or the given transport).</summary>
    public NoticeDispatcher NewDispatcher(IMailTransport? transport = null, INoticeComposer? composer = null) =>
        new(Runtime.Db.DataSource, Runtime.Runtime, composer ?? Composer,
            transport ?? new SmtpMailTransport(Smtp!.CreateSmtpOptions(), Clock, timeout: TimeSpan.FromSeconds(5)),
            Clock, Options.Notices);

    /// <summary>
    /// A due date as the definitions receive it: 23:59:59 Brussels time on that day. (A bare "yyyy-MM-dd" would be
    /// read as midnight UTC by ValueResolver.TryGetTime before the runtime's end-of-day rule is reached.)
    /// </summary>
    public static string EndOfDay(string date) =>
        TransitionEffects.BrusselsEndOfDay(DateOnly.ParseExact(date, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture))
            .ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture);

    public Task<FireResult> CreateReportAsync(string due, string owner = "genk", string? email = null, string? reference = null, JsonArray? participants = null)
    {
        var data = new JsonObject { ["owner"] = owner, ["due"] = EndOfDay(due), ["reference"] = reference ?? $"PS-{owner}-{due}" };
        if (email is not null)
        {
            data["contact"] = new JsonObject { ["email"] = email, ["name"] = $"Contact {owner}" };
        }

        if (participants is not null)
        {
            data["participants"] = participants;
        }

        return Runtime.CreateAsync("test/report", data);
    }

    public Task<FireResult> CreateTimedAsync(string due, string owner = "genk") =>
        Runtime.CreateAsync("test/timed", new JsonObject { ["owner"] = owner, ["due"] = EndOfDay(due), ["reference"] = $"PT-{owner}-{due}" });

    /// <summary>The open (or any) deadline of a dossier.</summary>
    public async Task<Guid> DeadlineOfAsync(Guid dossierId)
    {
        await using var cmd = Runtime.Db.DataSource.CreateCommand("SELECT id FROM deadline WHERE dossier_id = $1 ORDER BY set_by_seq DESC LIMIT 1");
        cmd.Parameters.AddWithValue(dossierId);
        return (Guid)(await cmd.ExecuteScalarAsync())!;
    }

    public Task<long> CountAsync(string sql) => Runtime.CountAsync(sql);

    /// <summary>Journal record events of a kind for a dossier (arguments parsed).</summary>
    public async Task<IReadOnlyList<JsonObject>> RecordsAsync(Guid dossierId, string kind) =>
        (await Runtime.Journal.ForDossierAsync(dossierId)).Where(e => e.Kind == kind).Select(e => CanonicalJson.ParseObject(e.Arguments)).ToList();
}

/// <summary>A transport that "crashes" right after the inner transport delivered: the SMTP server has the message, the service never learns it.</summary>
public sealed class CrashAfterSendTransport(IMailTransport inner) : IMailTransport
{
    public int Delivered { get; private set; }

    public async Task<DeliveryReceipt> SendAsync(OutgoingMessage message, CancellationToken ct)
    {
        await inner.SendAsync(message, ct);
        Delivered++;
        throw new SimulatedCrashException();
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}

/// <summary>The process "died" after the SMTP server accepted the message.</summary>
public sealed class SimulatedCrashException : Exception
{
    public SimulatedCrashException()
        : base("simulated crash after the SMTP server accepted the message")
    {
    }
}
