using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Letters;
using SubsidyEngine.Engine.Mail;
using SubsidyEngine.Templates;
using SubsidyEngine.Testing;

namespace SubsidyEngine.Engine.Tests.Programmes;

/// <summary>
/// The whole letter catalogue, from generated dossier data: every number a letter prints is the one an independent
/// computation gives (days in Brussels calendar days, amounts in nl-BE with a no-break space after €, dates in
/// Dutch), and every kind of notice composes and reaches a real SMTP server.
/// </summary>
public sealed partial class LetterCatalogueTests(SmtpTestServer smtp) : IClassFixture<SmtpTestServer>
{
    private static readonly TimeZoneInfo Brussels = TimeZoneInfo.FindSystemTimeZoneById("Europe/Brussels");
    private static readonly CultureInfo NlBe = CultureInfo.GetCultureInfo("nl-BE");
    private static readonly LetterModelBuilder Models = new(ProgrammeHarness.Programmes, LetterSettings.Default("http://127.0.0.1:5080"));
    private static readonly LetterRenderer Renderer = new();

    [GeneratedRegex(@"nog (?<n>\d+) dag(en)?\b")]
    private static partial Regex DaysLeft();

    [GeneratedRegex(@"(?<=rekeningnummer\s)[A-Z]{2}\d{2}(\u00A0[0-9A-Z]{4})+")]
    private static partial Regex Iban();

    [GeneratedRegex(@"(?<n>\d+) dag(en)? na die datum")]
    private static partial Regex DaysAfter();

    private static DateOnly Day(DateTimeOffset t) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(t, Brussels).DateTime);

    private static string Dutch(DateOnly d) => d.ToString("d MMMM yyyy", NlBe);

    /// <summary>The end of a Brussels day, from the zone rules (not from the service).</summary>
    private static DateTimeOffset EndOfDay(DateOnly d)
    {
        var local = d.ToDateTime(new TimeOnly(23, 59, 59));
        return new DateTimeOffset(local, Brussels.GetUtcOffset(local)).ToUniversalTime();
    }

    private static string Euro(decimal amount) => "€\u00A0" + amount.ToString("N2", NlBe);

    /// <summary>Dossier data with everything any letter reads: generated amounts around <paramref name="seed"/>.</summary>
    private static JsonObject Data(int seed, bool recovery)
    {
        var rnd = new Random(seed);
        decimal Amount() => decimal.Round((decimal)rnd.Next(1_000_00, 900_000_00) / 100m, 2);
        var allocated = Amount();
        var advance = decimal.Round(allocated * 0.6m, 2);
        var earned = recovery ? decimal.Round(allocated * 0.4m, 2) : allocated;
        return new JsonObject
        {
            ["owner"] = "71016",
            ["programme"] = "plan-samenleven",
            ["reference"] = $"PS-2023-{seed:D5}",
            ["title"] = "Samen in Genk",
            ["call"] = new JsonObject { ["id"] = "2023", ["name"] = "Plan Samenleven", ["year"] = 2023, ["projectStart"] = "2023-07-01", ["projectEnd"] = "2024-06-30" },
            ["applicant"] = new JsonObject { ["participants"] = new JsonArray() },
            ["submittedAt"] = "2023-06-02T10:15:00Z",
            ["informationRequest"] = new JsonObject { ["questions"] = "Welke partners werken mee?", ["deadline"] = "2023-06-30" },
            ["eligibility"] = new JsonObject { ["reasons"] = new JsonArray(new JsonObject { ["severity"] = "error", ["nl"] = "Te weinig inwoners van niet-EU-14-herkomst" }) },
            ["awardedAt"] = "2023-07-20T09:00:00Z",
            ["governmentDecisionDate"] = "2023-09-22",
            ["amounts"] = new JsonObject { ["rows"] = new JsonArray(new JsonObject { ["actionCode"] = "2.1", ["fundedReach"] = 500, ["rateEur"] = 60 }) },
            ["allocation"] = new JsonObject { ["allocatedEur"] = allocated, ["rows"] = new JsonArray(new JsonObject { ["actionCode"] = "2.1", ["allocatedEur"] = allocated }) },
            ["payment"] = new JsonObject { ["awardEur"] = allocated, ["advanceEur"] = advance, ["balanceAtMostEur"] = allocated - advance },
            ["interimReport"] = new JsonObject { ["realised"] = new JsonObject { ["2.1"] = 300 } },
            ["continuation"] = new JsonObject { ["rows"] = new JsonArray(new JsonObject { ["actionCode"] = "2.1", ["realisedShare"] = 0.6m, ["continued"] = true, ["basis"] = "threshold-reached" }) },
            ["extension"] = new JsonObject { ["projectEnd"] = "2024-09-30", ["finalReportDue"] = "2024-10-31" },
            ["settlement"] = new JsonObject
            {
                ["awardEur"] = allocated, ["earnedEur"] = earned, ["paidEur"] = advance,
                ["recoveryEur"] = recovery ? advance - earned : 0m, ["balancePayableEur"] = recovery ? 0m : earned - advance,
                ["reactionDeadline"] = "2024-11-18",
                ["rows"] = new JsonArray(new JsonObject { ["actionCode"] = "2.1", ["pledgedReach"] = 500, ["realisedReach"] = 300, ["countedReach"] = 300, ["rateEur"] = 60, ["earnedEur"] = earned }),
            },
            ["closedAt"] = "2024-11-20T10:00:00Z",
            ["checkpointAt"] = "2024-01-01T05:00:00.000000Z",
            ["checkpoint"] = new JsonObject
            {
                ["seq"] = 12, ["brussels_day"] = "2024-01-01", ["taken_at"] = "2024-01-01T05:00:00.000000Z", ["dossier_count"] = 3, ["event_count"] = 40,
                ["max_journal_seq"] = 40, ["head_digest"] = new string('a', 64), ["prev_hash"] = new string('b', 64), ["hash"] = new string('c', 64),
            },
            ["journal"] = new JsonObject { ["scope"] = "all dossiers", ["eventCount"] = 40, ["firstSequence"] = 1, ["lastSequence"] = 40, ["algorithm"] = "SHA-256 (sejc1, docs/audit.md)", ["headHash"] = new string('c', 64) },
        };
    }

    [Fact]
    public void Every_reminder_counts_the_days_left_and_overdue_in_Brussels_calendar_days_from_the_day_it_is_sent()
    {
        var checkedLetters = 0;
        // Due days around both DST changes, month and year ends; reminders sent at every hour of a range of days.
        foreach (var due in new[] { new DateOnly(2027, 3, 28), new DateOnly(2027, 3, 31), new DateOnly(2027, 10, 31), new DateOnly(2027, 12, 31), new DateOnly(2028, 2, 29), new DateOnly(2028, 1, 1) })
        {
            for (var offset = -40; offset <= 40; offset += 3)
            {
                foreach (var hourUtc in new[] { 0, 7, 21, 22, 23 })
                {
                    var sent = new DateTimeOffset(due.AddDays(offset).ToDateTime(new TimeOnly(hourUtc, 30)), TimeSpan.Zero);
                    var expected = due.DayNumber - Day(sent).DayNumber;
                    var stage = expected > 7 ? "30-days" : expected > 0 ? "7-days" : expected == 0 ? "due-today" : "overdue";
                    var reminder = new ReminderInfo("interim-report", EndOfDay(due), stage, 0, sent);
                    var letter = Renderer.RenderLatest("report-reminder", Models.Build("report-reminder", new LetterContext(Guid.NewGuid(), Data(offset, false), sent.AddDays(-50), reminder)));
                    var text = Regex.Replace(letter.Text, @"\s+", " ");
                    Assert.Contains($"Brussel, {Dutch(Day(sent))}", text, StringComparison.Ordinal);
                    Assert.Contains(Dutch(due), text, StringComparison.Ordinal);
                    if (expected > 0)
                    {
                        Assert.Equal(expected, int.Parse(DaysLeft().Match(text).Groups["n"].Value, CultureInfo.InvariantCulture));
                    }
                    else if (expected < 0)
                    {
                        Assert.Equal(-expected, int.Parse(DaysAfter().Match(text).Groups["n"].Value, CultureInfo.InvariantCulture));
                    }

                    // Formal Dutch: no sentence starts with a figure ("146 dagen na die datum hebben wij ...").
                    Assert.DoesNotMatch(@"[.!?] \d", text);

                    checkedLetters++;
                }
            }
        }

        Assert.True(checkedLetters > 500);
    }

    /// <summary>Decision times around both DST changes, month and year ends, late and early in the Brussels day.</summary>
    private static readonly DateTimeOffset[] DecisionTimes =
    [
        new(2024, 12, 2, 9, 0, 0, TimeSpan.Zero),
        new(2027, 3, 1, 22, 30, 0, TimeSpan.Zero), // 23:30 in Brussels; 30 days later is after the spring change
        new(2027, 10, 1, 22, 30, 0, TimeSpan.Zero), // 00:30 on 2 October in Brussels; the autumn change follows
        new(2027, 12, 31, 23, 15, 0, TimeSpan.Zero), // already 1 January 2028 in Brussels
        new(2028, 2, 28, 21, 45, 0, TimeSpan.Zero),
    ];

    [Fact]
    public void Every_amount_and_date_of_the_payment_letters_is_the_one_computed_independently_with_the_euro_sign_unbroken()
    {
        for (var seed = 1; seed <= 60; seed++)
        {
            var recovery = seed % 2 == 0;
            var data = Data(seed, recovery);
            var at = new DateTimeOffset(2023, 9, 25, 8, 0, 0, TimeSpan.Zero);
            var final = Renderer.RenderLatest("award-final", Models.Build("award-final", new LetterContext(Guid.NewGuid(), data, at)));
            var allocated = data["allocation"]!["allocatedEur"]!.GetValue<decimal>();
            var advance = data["payment"]!["advanceEur"]!.GetValue<decimal>();
            Assert.Contains(Euro(allocated), final.Html, StringComparison.Ordinal);
            Assert.Contains(Euro(advance), final.Html, StringComparison.Ordinal);
            var text = Regex.Replace(final.Text, @"\s+", " "); // as a reader reads it, line wraps aside
            Assert.Contains("BE19 0000 0710 1612", text, StringComparison.Ordinal); // Genk's (illustrative) account in the register
            // The account number never breaks over two lines: no-break spaces between its groups, in the HTML and in
            // the plain-text mail as it is sent (before any white space is normalised).
            Assert.Contains("BE19\u00A00000\u00A00710\u00A01612", final.Html, StringComparison.Ordinal);
            Assert.Contains("BE19\u00A00000\u00A00710\u00A01612", final.Text, StringComparison.Ordinal);
            Assert.Contains("22 september 2023", text, StringComparison.Ordinal);
            Assert.DoesNotMatch(@"€ \d", final.Html);

            var settlement = Renderer.RenderLatest("settlement-decision", Models.Build("settlement-decision", new LetterContext(Guid.NewGuid(), data, at)));
            var s = data["settlement"]!;
            var balance = recovery ? s["recoveryEur"]!.GetValue<decimal>() : s["balancePayableEur"]!.GetValue<decimal>();
            foreach (var amount in new[] { s["awardEur"]!.GetValue<decimal>(), s["earnedEur"]!.GetValue<decimal>(), s["paidEur"]!.GetValue<decimal>(), balance })
            {
                Assert.Contains(Euro(amount), settlement.Html, StringComparison.Ordinal);
            }

            Assert.DoesNotMatch(@"€ \d", settlement.Html);
            if (recovery)
            {
                // The pre-information letter the decision refers to was sent on the day its 30-day reaction period
                // started (the reaction deadline minus 30 Brussels days), not 30 days before the decision; the
                // repayment is due 30 Brussels calendar days after the decision's date, whatever the hour and DST.
                var reaction = DateOnly.ParseExact(s["reactionDeadline"]!.GetValue<string>(), "yyyy-MM-dd", CultureInfo.InvariantCulture);
                var decidedAt = DecisionTimes[seed % DecisionTimes.Length];
                var decision = Renderer.RenderLatest("settlement-decision", Models.Build("settlement-decision", new LetterContext(Guid.NewGuid(), data, decidedAt)));
                var decisionText = Regex.Replace(decision.Text, @"\s+", " ");
                Assert.Contains($"Brussel, {Dutch(Day(decidedAt))}", decisionText, StringComparison.Ordinal);
                Assert.Contains($"voorafgaande kennisgeving van {Dutch(reaction.AddDays(-30))}", decisionText, StringComparison.Ordinal);
                Assert.Contains($"uiterlijk op {Dutch(Day(decidedAt).AddDays(30))} over te schrijven", decisionText, StringComparison.Ordinal);
            }

            // Every account number a settlement letter names is a valid IBAN (mod-97), printed unbroken: the
            // authority's own account for a payment, the agency's account for a recovery.
            var accounts = Iban().Matches(settlement.Text).Select(m => m.Value).ToList();
            Assert.NotEmpty(accounts);
            foreach (var account in accounts)
            {
                Assert.True(Workflows.Formats.Iban.IsValid(account.Replace('\u00A0', ' ')), $"'{account}' in the settlement letter is not a valid IBAN");
            }
        }
    }

    [Fact]
    public async Task Every_kind_of_notice_in_the_catalogue_is_composed_and_delivered_to_a_real_smtp_server()
    {
        smtp.Clear();
        var options = new SubsidyOptions { Smtp = smtp.CreateSmtpOptions() };
        await using var transport = new SmtpMailTransport(options.Smtp, TimeProvider.System);
        var sent = new Dictionary<string, Guid>(StringComparer.Ordinal);
        foreach (var id in LetterCatalog.Default.Ids.Order(StringComparer.Ordinal))
        {
            var reminder = id == "deadline-timeout"
                ? new ReminderInfo("information", EndOfDay(new DateOnly(2023, 6, 30)), "overdue", 1, new DateTimeOffset(2023, 7, 1, 7, 0, 0, TimeSpan.Zero))
                : new ReminderInfo("final-report", EndOfDay(new DateOnly(2024, 10, 31)), "7-days", 0, new DateTimeOffset(2024, 10, 24, 7, 0, 0, TimeSpan.Zero));
            var letter = Renderer.RenderLatest(id, Models.Build(id, new LetterContext(Guid.NewGuid(), Data(7, id == "recovery-preinformation"), new DateTimeOffset(2024, 11, 20, 10, 0, 0, TimeSpan.Zero), reminder)));
            var notice = Guid.NewGuid();
            await transport.SendAsync(
                new OutgoingMessage
                {
                    NoticeId = notice,
                    To = [new MailRecipient("Stad Genk", "plan-samenleven.71016@example.invalid")],
                    Subject = letter.Subject,
                    TextBody = letter.Text,
                    HtmlBody = letter.Html,
                },
                CancellationToken.None);
            sent[id] = notice;
        }

        var received = await smtp.ReadMessagesAsync();
        foreach (var (id, notice) in sent)
        {
            var mail = Assert.Single(received, m => m.Message.Headers[OutgoingMessage.NoticeHeader] == notice.ToString("D"));
            Assert.False(string.IsNullOrWhiteSpace(mail.Message.TextBody), id);
            Assert.DoesNotContain("{{", mail.Message.HtmlBody, StringComparison.Ordinal);
        }

        Assert.Equal(LetterCatalog.Default.Ids.Count(), sent.Count);
    }
}
