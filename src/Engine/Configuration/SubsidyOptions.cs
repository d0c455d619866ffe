using System.ComponentModel.DataAnnotations;

namespace SubsidyEngine.Engine.Configuration;

/// <summary>
/// Service settings bound from the <c>Subsidy</c> configuration section. The connection string itself lives
/// under <c>ConnectionStrings:Subsidy</c>; when it is absent the service provisions its embedded cluster.
/// </summary>
public sealed class SubsidyOptions
{
    public const string SectionName = "Subsidy";

    /// <summary>Folder for the embedded cluster (<c>pg/</c>), the mail outbox (<c>outbox/</c>) and other local state.</summary>
    [Required(AllowEmptyStrings = false)]
    public string DataDirectory { get; set; } = ".data";

    /// <summary>
    /// The address users reach the service on (an absolute http or https URL, kept without a trailing slash): every
    /// link in letters, notices and the calendar is built from it. Required with a configured database
    /// (<c>ConnectionStrings:Subsidy</c>); on the embedded default it is <c>http://127.0.0.1:{Port}</c> when unset.
    /// </summary>
    public string PublicBaseUrl { get; set; } = string.Empty;

    /// <summary>Default HTTP port when no <c>--urls</c> / <c>ASPNETCORE_URLS</c> is given.</summary>
    [Range(1, 65535)]
    public int Port { get; set; } = 5080;

    /// <summary>Folder of the workflow definitions and programme data; default: <c>workflows</c> next to the service binaries.</summary>
    public string? WorkflowsDirectory { get; set; }

    /// <summary>The workflows folder actually used.</summary>
    public string ResolveWorkflowsDirectory() => string.IsNullOrWhiteSpace(WorkflowsDirectory)
        ? Path.Combine(AppContext.BaseDirectory, "workflows")
        : Path.GetFullPath(WorkflowsDirectory);

    /// <summary>
    /// Load the demo (<c>Subsidy:Demo</c>, default true): on the embedded default's first start on a new database, the
    /// shipped programmes are run through the runtime so that today one call is open, one is in allocation and one
    /// project year is running (README, "What a newcomer finds"). Never on a configured connection string.
    /// </summary>
    public bool Demo { get; set; } = true;

    /// <summary>CSV register of authorities (format: docs/programme-data.md); default: the demo register shipped with the service.</summary>
    public string? AuthoritiesFile { get; set; }

    public string ResolveAuthoritiesFile() => string.IsNullOrWhiteSpace(AuthoritiesFile)
        ? Path.Combine(AppContext.BaseDirectory, "data", "authorities", "flemish-authorities-demo.csv")
        : Path.GetFullPath(AuthoritiesFile);

    public EmbeddedDatabaseOptions Embedded { get; set; } = new();

    public SmtpOptions Smtp { get; set; } = new();

    /// <summary>Reminders, the notice dispatcher and the fallback recipient (<c>Subsidy:Notices</c>).</summary>
    public NoticeOptions Notices { get; set; } = new();

    /// <summary>Who signs the letters, whom to contact, and the agency's account for repayments (<c>Subsidy:Letters</c>).</summary>
    public LetterOptions Letters { get; set; } = new();

    /// <summary>
    /// Age after which a Hangfire distributed lock is taken as abandoned (<c>Subsidy:JobLockTimeoutSeconds</c>, default
    /// 60). A process killed while holding one (the recurring-job scheduler takes one per job every second) leaves its
    /// row behind; Hangfire.PostgreSql's own default of 10 minutes stopped the minutely sweeps on every server, and the
    /// next start's job registration, for that long. Hangfire holds these locks for milliseconds, and every job of
    /// ours is safe to run twice, so a minute is ample.
    /// </summary>
    [Range(5, 3600)]
    public int JobLockTimeoutSeconds { get; set; } = 60;

    /// <summary>
    /// Whether this process runs the background work: the Hangfire server with the recurring sweeps and the notice
    /// dispatch loop (default true). With several service processes (docs/deployment.md) any number may run it (the
    /// sweeps claim with SKIP LOCKED); false makes a process that only answers requests, e.g. web nodes beside
    /// dedicated worker nodes, or a process measuring pages on a copied database without changing it.
    /// </summary>
    public bool RunJobs { get; set; } = true;
}

/// <summary>
/// What letters state about the sending agency (section <c>Subsidy:Letters</c>): the signatory, the contact and the
/// agency's account that recovery decisions ask authorities to pay into. These are inputs of every letter: a changed
/// setting changes the letters rendered afterwards, and the audit's re-rendering of earlier letters reports it
/// (see <see cref="Audit.LetterVerifier"/>).
/// </summary>
public sealed class LetterOptions : IValidatableObject
{
    /// <summary>
    /// An illustrative account with valid check digits (the example of the Belgian IBAN standard), used on the embedded
    /// default when none is configured. The agency's real account was not in the source documents (DOMAIN.md): set
    /// <c>Subsidy:Letters:AgencyIban</c> before a recovery letter goes out for real.
    /// </summary>
    public const string IllustrativeAgencyIban = "BE71 0961 2345 6769";

    [Required(AllowEmptyStrings = false)]
    [MaxLength(200)]
    public string SignatoryName { get; set; } = "Het afdelingshoofd Lokale Besturen";

    [Required(AllowEmptyStrings = false)]
    [MaxLength(200)]
    public string SignatoryFunction { get; set; } = "Agentschap Binnenlands Bestuur";

    [Required(AllowEmptyStrings = false)]
    [MaxLength(200)]
    public string ContactName { get; set; } = "Team Samenleven";

    [Required(AllowEmptyStrings = false)]
    [EmailAddress]
    public string ContactEmail { get; set; } = "samenleven@abb.example.be";

    /// <summary>
    /// The agency's account for repayments (IBAN, mod-97 checked at start-up); printed grouped by four. Required with a
    /// configured database; the embedded default fills in <see cref="IllustrativeAgencyIban"/>.
    /// </summary>
    public string AgencyIban { get; set; } = string.Empty;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(AgencyIban) && !Workflows.Formats.Iban.IsValid(AgencyIban))
        {
            yield return new ValidationResult(
                $"'{AgencyIban}' is not a valid IBAN (two letters, two check digits that pass the mod-97 check, then the account; a Belgian one has 16 characters).",
                [nameof(AgencyIban)]);
        }
    }
}

/// <summary>
/// Settings of the reminder sweep and the notice dispatcher (section <c>Subsidy:Notices</c>). Validated at start-up
/// (data annotations plus <see cref="Validate"/>).
/// </summary>
public sealed class NoticeOptions : IValidatableObject
{
    /// <summary>
    /// Days before the due date on which a reminder is sent, comma-separated; <c>0</c> is the due day itself.
    /// Default <c>30, 7, 0</c>. A text, not an array, because configuration binding merges arrays with defaults.
    /// </summary>
    [Required(AllowEmptyStrings = false)]
    public string ReminderDaysBefore { get; set; } = "30, 7, 0";

    /// <summary>While a deadline is overdue and open, a reminder every this many days (first one this many days after the due day).</summary>
    [Range(1, 366)]
    public int OverdueEveryDays { get; set; } = 7;

    /// <summary>The time zone whose calendar days the reminder stages follow (due dates are Brussels days).</summary>
    [Required(AllowEmptyStrings = false)]
    public string TimeZone { get; set; } = "Europe/Brussels";

    /// <summary>The letter template of reminder notices.</summary>
    [Required(AllowEmptyStrings = false)]
    public string ReminderTemplate { get; set; } = "report-reminder";

    /// <summary>Notices claimed per dispatcher round trip.</summary>
    [Range(1, 10_000)]
    public int DispatchBatchSize { get; set; } = 100;

    /// <summary>Deadlines looked at per reminder sweep statement.</summary>
    [Range(1, 1_000_000)]
    public int SweepBatchSize { get; set; } = 10_000;

    /// <summary>
    /// How long a claimed notice stays reserved for its sender. When a sender dies mid-send the notice is retried
    /// after this time (see docs/decisions/2026-11-22-outbox-delivery.md). Longer than the SMTP timeout.
    /// </summary>
    [Range(10, 86_400)]
    public int LeaseSeconds { get; set; } = 300;

    /// <summary>Wait after the first transiently failed attempt (SMTP down, 4xx); doubles per attempt. Default 60 s.</summary>
    [Range(1, 86_400)]
    public int RetryInitialDelaySeconds { get; set; } = 60;

    /// <summary>Upper bound of the wait between attempts. Default 3600 s.</summary>
    [Range(1, 604_800)]
    public int RetryMaxDelaySeconds { get; set; } = 3600;

    /// <summary>Attempts in total before a notice is marked failed. Default 10.</summary>
    [Range(1, 1000)]
    public int RetryMaxAttempts { get; set; } = 10;

    /// <summary>The backoff of transient delivery failures these settings describe (the defaults give <see cref="Mail.RetryPolicy.Default"/>).</summary>
    public Mail.RetryPolicy CreateRetryPolicy() =>
        new(TimeSpan.FromSeconds(RetryInitialDelaySeconds), TimeSpan.FromSeconds(Math.Max(RetryInitialDelaySeconds, RetryMaxDelaySeconds)), RetryMaxAttempts);

    /// <summary>Recipient when the dossier data has no <c>contact.email</c> (e.g. the programme team's mailbox).</summary>
    [Required(AllowEmptyStrings = false)]
    [EmailAddress]
    public string FallbackRecipient { get; set; } = "samenleven@abb.example.be";

    /// <summary>Display name of <see cref="FallbackRecipient"/>.</summary>
    public string FallbackRecipientName { get; set; } = "Team Plan Samenleven";

    /// <summary>The parsed <see cref="ReminderDaysBefore"/>, distinct, largest first.</summary>
    /// <exception cref="FormatException">An entry is not a whole number from 0 to 366.</exception>
    public IReadOnlyList<int> ParseReminderDaysBefore()
    {
        var days = new List<int>();
        foreach (var part in (ReminderDaysBefore ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var d) || d > 366)
            {
                throw new FormatException($"Subsidy:Notices:ReminderDaysBefore: '{part}' is not a whole number of days from 0 to 366");
            }

            days.Add(d);
        }

        return days.Distinct().OrderDescending().ToList();
    }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        string? error = null;
        try
        {
            if (ParseReminderDaysBefore().Count == 0)
            {
                error = "must list at least one number of days (e.g. 30, 7, 0)";
            }
        }
        catch (FormatException e)
        {
            error = e.Message;
        }

        if (error is not null)
        {
            yield return new ValidationResult(error, [nameof(ReminderDaysBefore)]);
        }

        if (RetryMaxDelaySeconds < RetryInitialDelaySeconds)
        {
            yield return new ValidationResult("must not be smaller than RetryInitialDelaySeconds", [nameof(RetryMaxDelaySeconds)]);
        }

        if (!TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone ?? string.Empty, out _))
        {
            yield return new ValidationResult($"'{TimeZone}' is not a known time zone", [nameof(TimeZone)]);
        }
    }
}

/// <summary>Settings of the private PostgreSQL cluster started when no connection string is configured.</summary>
public sealed class EmbeddedDatabaseOptions
{
    [Range(1, 65535)]
    public int Port { get; set; } = 5439;

    [Required(AllowEmptyStrings = false)]
    public string Database { get; set; } = "subsidy";

    /// <summary>Folder holding <c>initdb</c>, <c>pg_ctl</c> and <c>postgres</c>; found automatically when empty.</summary>
    public string? BinDirectory { get; set; }
}

/// <summary>SMTP relay used for notices; when <see cref="Host"/> is empty, messages go to <c>DataDirectory/outbox</c> as .eml files.</summary>
public sealed class SmtpOptions
{
    public string? Host { get; set; }

    [Range(1, 65535)]
    public int Port { get; set; } = 25;

    public string? UserName { get; set; }

    public string? Password { get; set; }

    /// <summary><c>None</c>, <c>StartTls</c>, <c>SslOnConnect</c> or <c>Auto</c>.</summary>
    public string Security { get; set; } = "Auto";

    [Required(AllowEmptyStrings = false)]
    [EmailAddress]
    public string From { get; set; } = "noreply-samenleven@abb.example.be";

    public string FromName { get; set; } = "Agentschap Binnenlands Bestuur";

    [EmailAddress]
    public string AuditorAddress { get; set; } = "audit@abb.example.be";

    /// <summary>
    /// Where a notice that failed permanently is reported (<c>Subsidy:Smtp:OperationsAddress</c>): the operations
    /// team gets one mail per failed notice, besides the banner on the officers' board. Empty: no such mail.
    /// </summary>
    [EmailAddress]
    public string? OperationsAddress { get; set; } = "operations-samenleven@abb.example.be";
}
