using System.Globalization;
using System.Text.Json.Nodes;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Workflows.Calendar;
using static SubsidyEngine.Engine.Programmes.ProgrammeGuards;

namespace SubsidyEngine.Engine.Letters;

/// <summary>What caused a letter: the dossier data as of the causing journal event, and the event's time.</summary>
/// <param name="DossierId">The dossier.</param>
/// <param name="Data">The dossier data of the notice's snapshot (as of the causing event; a reminder's as of the sweep), or rebuilt from the journal by the audit.</param>
/// <param name="At">The time of the causing event.</param>
/// <param name="Reminder">For reminders and timeouts: the deadline kind, its due time, and the stage.</param>
/// <param name="TemplateVersion">
/// The version of the template the model is for (default: the latest). A letter re-renders byte for byte with the
/// model of its template version: fields whose meaning changed are computed the old way for the old versions
/// (see <see cref="LetterModelBuilder"/>).
/// </param>
public sealed record LetterContext(Guid DossierId, JsonObject Data, DateTimeOffset At, ReminderInfo? Reminder = null, int TemplateVersion = int.MaxValue);

/// <summary>
/// A reminder's deadline: kind (e.g. <c>final-report</c>), effective due time, stage (<c>30-days</c>, <c>7-days</c>,
/// <c>due-today</c>, <c>overdue</c>), the whole days overdue as version 1 of the reminder counted them, and when the
/// reminder was created (the day it is dated and counted from, from version 2 on).
/// </summary>
public sealed record ReminderInfo(string Kind, DateTimeOffset Due, string Stage, int DaysOverdue = 0, DateTimeOffset? SentAt = null);

/// <summary>The dossier data lacks what a letter must state (e.g. the account a payment goes to): the letter cannot be made.</summary>
public sealed class LetterModelException(string message) : Exception(message);

/// <summary>Who signs, whom to contact, where the portal is: settings of the sending agency.</summary>
public sealed record LetterSettings(string PublicBaseUrl, string SignatoryName, string SignatoryFunction, string ContactName, string ContactEmail, string AgencyIban)
{
    /// <summary>The settings of <see cref="Configuration.LetterOptions"/>'s defaults.</summary>
    public static LetterSettings Default(string publicBaseUrl) =>
        From(publicBaseUrl, new Configuration.LetterOptions { AgencyIban = Configuration.LetterOptions.IllustrativeAgencyIban });

    /// <summary>The settings of a service: its public address and its <c>Subsidy:Letters</c> section (validated at start-up).</summary>
    public static LetterSettings From(string publicBaseUrl, Configuration.LetterOptions letters) => new(
        publicBaseUrl.TrimEnd('/'), letters.SignatoryName, letters.SignatoryFunction, letters.ContactName, letters.ContactEmail,
        Workflows.Formats.Iban.Format(letters.AgencyIban));

    /// <summary>
    /// The agency account printed by the letters rendered before it became a setting (a placeholder that is no valid
    /// IBAN): the letters of that time re-render byte for byte only with it.
    /// </summary>
    public const string PlaceholderAgencyIbanBefore20261207 = "BE00 0000 0000 0000";
}

/// <summary>
/// Builds the model of each letter template (fields documented in src/Templates/Letters/README.md) from the dossier
/// data as of the event that caused it. Pure: the same data gives the same model, so a re-render gives the same
/// HTML hash. Amounts come from the rules' results stored in the data (allocation, payment, settlement), never
/// recomputed here; every day count is computed here in Brussels calendar days (<see cref="BrusselsDate"/>), never
/// written in a template.
/// </summary>
/// <remarks>
/// Versions: a letter re-renders with the model of its template version (<see cref="LetterContext.TemplateVersion"/>).
/// From version 2 on: reminders are dated and counted from the day they are sent (<c>daysLeft</c>, <c>daysOverdue</c>
/// in Brussels calendar days), links go to the dossier page (<c>dossierUrl</c>), payments name the authority's
/// account (<c>payment.iban</c> from the register). Version 1 models are kept as they were, for the letters sent.
/// </remarks>
public sealed class LetterModelBuilder(ProgrammeCatalog programmes, LetterSettings settings)
{
    public JsonObject Build(string templateId, LetterContext c)
    {
        var d = c.Data;
        if (templateId == "checkpoint-digest")
        {
            return CheckpointDigest(c);
        }

        var v2 = c.TemplateVersion >= 2;
        var model = Common(c);
        if (v2 && c.Reminder?.SentAt is { } sentAt)
        {
            model["letterDate"] = BrusselsDate.Of(sentAt).ToString();
        }

        switch (templateId)
        {
            case "acknowledgement":
                model["callName"] = CallName(d);
                model["submittedAt"] = Str(d, "submittedAt") ?? Iso(c.At);
                model["participants"] = Participants(d);
                break;
            case "information-request":
                model["callName"] = CallName(d);
                model["submittedAt"] = DateOf(Str(d, "submittedAt"), c.At);
                model["items"] = new JsonArray(JsonValue.Create(Str(d, "informationRequest.questions") ?? string.Empty));
                model["deadline"] = Str(d, "informationRequest.deadline") ?? DateOf(null, c.At);
                model["portalUrl"] = PortalUrl(c.DossierId);
                if (v2)
                {
                    model["dossierUrl"] = DossierUrl(c.DossierId);
                }

                break;
            case "ineligibility-decision":
                model["callName"] = CallName(d);
                model["submittedAt"] = DateOf(Str(d, "submittedAt"), c.At);
                var reasons = (d["eligibility"]?["reasons"] as JsonArray ?? []).OfType<JsonObject>()
                    .Where(r => Str(r, "severity") == "error").Select(r => Str(r, "nl") ?? string.Empty).ToList();
                if (Str(d, "ineligibilityComment") is { Length: > 0 } comment)
                {
                    reasons.Add(comment);
                }

                model["reasons"] = new JsonArray(reasons.Select(r => (JsonNode)JsonValue.Create(r)!).ToArray());
                break;
            case "award-decision":
                AwardDecision(model, d);
                break;
            case "award-final":
                model["callName"] = CallName(d);
                model["projectYear"] = Int(d, "call.year");
                model["awardLetterDate"] = DateOf(Str(d, "awardedAt"), c.At);
                model["governmentDecisionDate"] = Str(d, "governmentDecisionDate") ?? DateOf(null, c.At);
                model["total"] = Dec(d, "allocation.allocatedEur");
                model["payment"] = new JsonObject
                {
                    ["advancePercent"] = AdvancePercent(d),
                    ["advanceAmount"] = Dec(d, "payment.advanceEur"),
                    ["iban"] = v2 ? AuthorityIban(d) : "het rekeningnummer dat uw bestuur in het Loket voor Lokale Besturen opgaf",
                };
                break;
            case "report-reminder":
            {
                var r = c.Reminder ?? new ReminderInfo("final-report", c.At, "due-today");
                model["stage"] = r.Stage;
                model["reportName"] = ReportName(r.Kind, d);
                model["deadline"] = DateOf(Iso(r.Due), c.At);
                model["portalUrl"] = PortalUrl(c.DossierId);
                if (v2)
                {
                    // Brussels calendar days from the day the reminder is sent to the due day.
                    var daysLeft = BrusselsDate.Of(r.SentAt ?? c.At).DaysUntil(BrusselsDate.Of(r.Due));
                    model["dossierUrl"] = DossierUrl(c.DossierId);
                    model["reportName"] = r.Kind == "information" ? "aanvullende informatie" : ReportName(r.Kind, d);
                    model["report"] = ReportPhrase(r.Kind, d);
                    model["daysLeft"] = Math.Max(0, daysLeft);
                    if (r.Stage == "overdue")
                    {
                        model["daysOverdue"] = Math.Max(1, -daysLeft);
                    }
                }
                else if (r.Stage == "overdue")
                {
                    model["daysOverdue"] = r.DaysOverdue;
                }

                break;
            }

            case "continuation-decision":
                Continuation(model, d);
                break;
            case "extension-notice":
                model["callName"] = CallName(d);
                model["originalEnd"] = Str(d, "call.projectEnd") ?? string.Empty;
                model["newEnd"] = Str(d, "extension.projectEnd") ?? string.Empty;
                model["finalReportDeadline"] = DateOf(Str(d, "extension.finalReportDue"), c.At);
                model["awardedTotal"] = Dec(d, "allocation.allocatedEur");
                break;
            case "recovery-preinformation":
                Recovery(model, d);
                break;
            case "settlement-decision":
                Settlement(model, d, c);
                break;
            case "closure":
                model["callName"] = CallName(d);
                model["closureDate"] = DateOf(Str(d, "closedAt"), c.At);
                model["period"] = Period(d);
                var totals = new JsonObject
                {
                    ["awarded"] = Dec(d, "allocation.allocatedEur"),
                    ["earned"] = Dec(d, "settlement.earnedEur"),
                    ["paid"] = Dec(d, "settlement.paidEur"),
                };
                if (Dec(d, "settlement.recoveryEur") > 0)
                {
                    totals["recovered"] = Dec(d, "settlement.recoveryEur");
                }

                model["totals"] = totals;
                model["retentionYears"] = 10;
                break;
            case "deadline-timeout":
            {
                var r = c.Reminder ?? new ReminderInfo("deadline", c.At, "overdue");
                model["deadline"] = new JsonObject { ["name"] = ReportName(r.Kind, d), ["dueAt"] = Iso(r.Due) };
                model["consequence"] = r.Kind == "information"
                    ? "het dossier wordt verder behandeld met de informatie die het agentschap nu heeft."
                    : "het agentschap behandelt het dossier verder zonder deze stukken.";
                break;
            }

            default:
                throw new ArgumentException($"No letter model for template '{templateId}'.", nameof(templateId));
        }

        return model;
    }

    private JsonObject Common(LetterContext c)
    {
        var d = c.Data;
        var submitter = d["applicant"]?["submitter"] as JsonObject;
        var authority = Str(d, "owner") is { } owner ? programmes.Authorities.Find(owner) : null;
        return new JsonObject
        {
            ["letterDate"] = DateOf(null, c.At),
            ["reference"] = Str(d, "reference") ?? c.DossierId.ToString("D"),
            ["addressee"] = new JsonObject
            {
                ["attention"] = "Aan het college van burgemeester en schepenen",
                ["name"] = Str(submitter, "name") ?? authority?.Name ?? Str(d, "title") ?? string.Empty,
                // The address the dossier journaled from the register (dossiers started before it did so: today's register).
                ["street"] = Str(submitter, "address") ?? authority?.Address ?? string.Empty,
                ["postalCode"] = string.Empty,
                ["city"] = authority?.Name ?? string.Empty,
            },
            ["cc"] = Participants(d),
            ["signatory"] = new JsonObject { ["name"] = settings.SignatoryName, ["function"] = settings.SignatoryFunction },
            ["contact"] = new JsonObject { ["name"] = settings.ContactName, ["email"] = settings.ContactEmail },
        };
    }

    private static JsonArray Participants(JsonObject d) =>
        new((d["applicant"]?["participants"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(p => (JsonNode)new JsonObject { ["name"] = Str(p, "name") ?? Str(p, "id") ?? string.Empty }).ToArray());

    private static string CallName(JsonObject d) => Str(d, "call.name") ?? Str(d, "title") ?? string.Empty;

    private string PortalUrl(Guid dossierId) => $"{settings.PublicBaseUrl}/portal/dossiers/{dossierId:D}";

    /// <summary>The dossier's page (<c>/dossiers/{id}</c>), the one page every party of a dossier opens (others get a 404).</summary>
    private string DossierUrl(Guid dossierId) => $"{settings.PublicBaseUrl}/dossiers/{dossierId:D}";

    /// <summary>
    /// The account a payment goes to: the one the application names (<c>applicant.iban</c> or <c>contact.iban</c>,
    /// when valid), otherwise the authority's from the register. A payment letter without a valid account is not sent.
    /// </summary>
    private string AuthorityIban(JsonObject d)
    {
        foreach (var path in new[] { "applicant.iban", "contact.iban" })
        {
            if (Str(d, path) is { } given && Workflows.Formats.Iban.IsValid(given))
            {
                return Workflows.Formats.Iban.Format(given);
            }
        }

        var owner = Str(d, "owner");
        return (owner is null ? null : programmes.Authorities.Find(owner)?.Iban)
            ?? throw new LetterModelException($"no valid bank account (IBAN) for authority '{owner}': neither the application nor the register gives one");
    }

    /// <summary>
    /// The auditors' checkpoint digest (<c>notice.v1</c> layout): the checkpoint as recorded on the audit dossier
    /// (<c>checkpoint</c>, the exported line of <c>checkpoints.jsonl</c>) and the journal figures.
    /// </summary>
    private static JsonObject CheckpointDigest(LetterContext c)
    {
        var d = c.Data;
        var checkpoint = d["checkpoint"] as JsonObject ?? throw new LetterModelException("the audit dossier holds no checkpoint");
        var journal = d["journal"] as JsonObject ?? [];
        return new JsonObject
        {
            ["letterDate"] = DateOf(Str(d, "checkpointAt"), c.At),
            ["reference"] = $"controlepunt {Int(checkpoint, "seq")}",
            ["checkpointAt"] = Str(d, "checkpointAt") ?? Iso(c.At),
            ["checkpoint"] = new JsonObject
            {
                ["seq"] = Int(checkpoint, "seq"),
                ["brusselsDay"] = Str(checkpoint, "brussels_day") ?? string.Empty,
                ["takenAt"] = Str(checkpoint, "taken_at") ?? string.Empty,
                ["dossierCount"] = Int(checkpoint, "dossier_count"),
                ["eventCount"] = Int(checkpoint, "event_count"),
                ["maxJournalSeq"] = Int(checkpoint, "max_journal_seq"),
                ["headDigest"] = Str(checkpoint, "head_digest") ?? string.Empty,
                ["prevHash"] = Str(checkpoint, "prev_hash") ?? string.Empty,
                ["hash"] = Str(checkpoint, "hash") ?? string.Empty,
            },
            ["journal"] = new JsonObject
            {
                ["scope"] = "alle dossiers",
                ["eventCount"] = Int(journal, "eventCount"),
                ["firstSequence"] = Int(journal, "firstSequence"),
                ["lastSequence"] = Int(journal, "lastSequence"),
                ["algorithm"] = Str(journal, "algorithm") ?? string.Empty,
                ["headHash"] = Str(journal, "headHash") ?? string.Empty,
            },
        };
    }

    private static JsonObject Period(JsonObject d) => new()
    {
        ["start"] = Str(d, "call.projectStart") ?? string.Empty,
        ["end"] = Str(d, "extension.projectEnd") ?? Str(d, "call.projectEnd") ?? string.Empty,
    };

    private decimal AdvancePercent(JsonObject d)
    {
        var award = Dec(d, "payment.awardEur");
        return award == 0 ? 0 : CallParameters(d)?.PaymentSchedule.AdvanceShare * 100 ?? decimal.Round(Dec(d, "payment.advanceEur") / award * 100, 1);
    }

    private ProgrammeParameters? CallParameters(JsonObject d) =>
        Str(d, "programme") is { } p && Str(d, "call.id") is { } id && programmes.TryGetCall(p, id, out var call) ? call!.Parameters : null;

    private string ActionName(JsonObject d, string code)
    {
        if (Str(d, "programme") is { } p && Str(d, "call.id") is { } id && programmes.TryGetCall(p, id, out var call) && call!.FindAction(code) is { } a)
        {
            return a.TargetGroup is null ? $"{code} {a.Name.Nl}" : $"{code} {a.Name.Nl} ({a.TargetGroup.Nl})";
        }

        return code;
    }

    private void AwardDecision(JsonObject model, JsonObject d)
    {
        model["callName"] = CallName(d);
        model["projectYear"] = Int(d, "call.year");
        model["period"] = Period(d);
        var amounts = (d["amounts"]?["rows"] as JsonArray ?? []).OfType<JsonObject>().ToDictionary(r => Str(r, "actionCode") ?? string.Empty, StringComparer.Ordinal);
        var rows = new JsonArray();
        decimal actions = 0;
        foreach (var row in (d["allocation"]?["rows"] as JsonArray ?? []).OfType<JsonObject>().Where(r => Dec(r, "allocatedEur") > 0))
        {
            var code = Str(row, "actionCode") ?? string.Empty;
            var requested = amounts.GetValueOrDefault(code);
            var allocated = Dec(row, "allocatedEur");
            actions += allocated;
            rows.Add(new JsonObject
            {
                ["action"] = ActionName(d, code),
                ["planned"] = Int(requested, "fundedReach"),
                ["rate"] = Dec(requested, "rateEur"),
                ["amount"] = allocated,
            });
        }

        model["rows"] = rows;
        var totals = new JsonObject { ["actions"] = actions };
        if (Dec(d, "allocation.bonusAllocatedEur") > 0)
        {
            totals["cooperationBonus"] = Dec(d, "allocation.bonusAllocatedEur");
        }

        totals["total"] = Dec(d, "allocation.allocatedEur");
        model["totals"] = totals;
        model["coFinancing"] = actions * (CallParameters(d)?.CoFinancing.LocalToFlemishRatio ?? 1m);
        model["payment"] = new JsonObject
        {
            ["advancePercent"] = AdvancePercent(d),
            ["advanceAmount"] = Dec(d, "payment.advanceEur"),
            ["balanceAmount"] = Dec(d, "payment.balanceAtMostEur"),
        };
        model["reporting"] = new JsonArray(
            new JsonObject { ["label"] = "tussentijds rapport over de eerste zes maanden", ["deadline"] = DateOf(Str(d, "call.interimReportDue"), default) },
            new JsonObject { ["label"] = "eindrapport over het volledige projectjaar", ["deadline"] = DateOf(Str(d, "call.finalReportDue"), default) });
    }

    private void Continuation(JsonObject model, JsonObject d)
    {
        var year = Int(d, "call.year");
        model["projectYear"] = year;
        model["nextProjectYear"] = year + 1;
        model["thresholdPercent"] = (CallParameters(d)?.Continuation.MinimumRealisedShare ?? 0.25m) * 100;
        var amounts = (d["amounts"]?["rows"] as JsonArray ?? []).OfType<JsonObject>().ToDictionary(r => Str(r, "actionCode") ?? string.Empty, StringComparer.Ordinal);
        var realised = d["interimReport"]?["realised"] as JsonObject ?? [];
        var rows = new JsonArray();
        foreach (var row in (d["continuation"]?["rows"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var code = Str(row, "actionCode") ?? string.Empty;
            var basis = Str(row, "basis") switch
            {
                "threshold-reached" => "threshold",
                "motivation-accepted" => "motivation",
                _ => "none",
            };
            var r = new JsonObject
            {
                ["action"] = ActionName(d, code),
                ["planned"] = Int(amounts.GetValueOrDefault(code), "fundedReach"),
                // Letters v1-v2 print "realised", which read the report as a path: an action code with a dot ("2.1")
                // gave 0. Those letters are re-rendered by the audit exactly as they were sent, so the value stays;
                // version 3 prints "realisedReach", the realised reach of the action.
                ["realised"] = Int(realised, code),
                ["realisedReach"] = realised[code] is JsonValue reach && reach.TryGetValue<decimal>(out var n) && n == decimal.Truncate(n) ? (int)n : 0,
                ["percent"] = decimal.Round(Dec(row, "realisedShare") * 100, 1, MidpointRounding.AwayFromZero),
                ["continued"] = Bool(row, "continued"),
                ["basis"] = basis,
            };
            if (basis == "motivation")
            {
                r["motivation"] = "de schriftelijke motivering van uw bestuur werd aanvaard";
            }

            rows.Add(r);
        }

        model["rows"] = rows;
    }

    private void Recovery(JsonObject model, JsonObject d)
    {
        model["callName"] = CallName(d);
        model["isCooperation"] = (d["participants"] as JsonArray)?.Count > 0;
        model["rows"] = SettlementRows(d);
        var amounts = new JsonObject();
        if (Dec(d, "settlement.earnedBonusEur") > 0)
        {
            amounts["bonus"] = Dec(d, "settlement.earnedBonusEur");
        }

        amounts["earned"] = Dec(d, "settlement.earnedEur");
        amounts["paid"] = Dec(d, "settlement.paidEur");
        amounts["toRecover"] = Dec(d, "settlement.recoveryEur");
        model["amounts"] = amounts;
        model["reactionDays"] = CallParameters(d)?.Recovery.PreInformationDays ?? 30;
        model["reactionDeadline"] = Str(d, "settlement.reactionDeadline") ?? string.Empty;
    }

    private JsonArray SettlementRows(JsonObject d) =>
        new((d["settlement"]?["rows"] as JsonArray ?? []).OfType<JsonObject>().Select(r => (JsonNode)new JsonObject
        {
            ["action"] = ActionName(d, Str(r, "actionCode") ?? string.Empty),
            ["planned"] = Int(r, "pledgedReach"),
            ["realised"] = Int(r, "realisedReach"),
            ["counted"] = Int(r, "countedReach"),
            ["rate"] = Dec(r, "rateEur"),
            ["earned"] = Dec(r, "earnedEur"),
        }).ToArray());

    private void Settlement(JsonObject model, JsonObject d, LetterContext c)
    {
        model["callName"] = CallName(d);
        model["isCooperation"] = (d["participants"] as JsonArray)?.Count > 0;
        var recovery = Dec(d, "settlement.recoveryEur");
        var payable = Dec(d, "settlement.balancePayableEur");
        var outcome = recovery > 0 ? "recover" : payable > 0 ? "payable" : "settled";
        var s = new JsonObject
        {
            ["outcome"] = outcome,
            ["awarded"] = Dec(d, "settlement.awardEur"),
            ["earned"] = Dec(d, "settlement.earnedEur"),
            ["paid"] = Dec(d, "settlement.paidEur"),
            ["balance"] = recovery > 0 ? recovery : payable,
        };
        // From version 4 the dates are Brussels calendar days: the pre-information letter is the one whose reaction
        // period (PreInformationDays) ends on the recorded reaction deadline, and a repayment is due 30 days after the
        // decision's date. Versions 2 and 3 counted 30 times 24 hours back from the decision (the wrong day whenever the
        // decision was not taken exactly 30 days after the pre-information) and forward across DST; their letters
        // re-render as they were sent.
        var brusselsDays = c.TemplateVersion >= 4;
        var preInformationDays = CallParameters(d)?.Recovery.PreInformationDays ?? 30;
        if (Str(d, "settlement.reactionDeadline") is { } reactionDeadline)
        {
            s["preinformationDate"] = brusselsDays && BrusselsDate.TryParse(reactionDeadline, out var reaction)
                ? reaction.AddDays(-preInformationDays).ToString()
                : DateOf(null, c.At.AddDays(-preInformationDays));
        }

        model["settlement"] = s;
        if (outcome == "payable")
        {
            model["payment"] = new JsonObject { ["iban"] = c.TemplateVersion >= 2 ? AuthorityIban(d) : "het rekeningnummer dat uw bestuur in het Loket voor Lokale Besturen opgaf" };
        }
        else if (outcome == "recover")
        {
            model["recovery"] = new JsonObject
            {
                ["dueDate"] = brusselsDays ? BrusselsDate.Of(c.At).AddDays(30).ToString() : DateOf(null, c.At.AddDays(30)),
                ["iban"] = settings.AgencyIban,
                ["communication"] = StructuredCommunication(Str(d, "reference") ?? c.DossierId.ToString("N")),
            };
        }
    }

    private static string ReportName(string kind, JsonObject d) => kind switch
    {
        "interim-report" => $"tussentijdse rapportering over projectjaar {Int(d, "call.year")}",
        "final-report" => $"eindrapportering over projectjaar {Int(d, "call.year")}",
        "information" => "het bezorgen van de gevraagde aanvullende informatie",
        "reaction" => "uw reactie op de voorafgaande kennisgeving van terugvordering",
        _ => kind,
    };

    /// <summary>What is due, with its article, to use in a sentence ("Wij herinneren u eraan dat ... moet worden ingediend").</summary>
    private static string ReportPhrase(string kind, JsonObject d) => kind switch
    {
        "interim-report" => $"de tussentijdse rapportering over projectjaar {Int(d, "call.year")}",
        "final-report" => $"de eindrapportering over projectjaar {Int(d, "call.year")}",
        "information" => "de gevraagde aanvullende informatie",
        "reaction" => "uw reactie op de voorafgaande kennisgeving van terugvordering",
        _ => kind,
    };

    /// <summary>A Belgian structured communication (+++ddd/dddd/ddddd+++, mod-97 check) derived from the reference.</summary>
    public static string StructuredCommunication(string reference)
    {
        var digits = new string(reference.Where(char.IsAsciiDigit).ToArray()).PadLeft(10, '0');
        var ten = long.Parse(digits[^10..], CultureInfo.InvariantCulture);
        var check = ten % 97;
        check = check == 0 ? 97 : check;
        var all = $"{ten:D10}{check:D2}";
        return $"+++{all[..3]}/{all[3..7]}/{all[7..]}+++";
    }

    private static string Iso(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The Belgian calendar date of an ISO time (or of <paramref name="fallback"/>), as yyyy-MM-dd.</summary>
    private static string DateOf(string? iso, DateTimeOffset fallback)
    {
        var t = iso is not null && DateTimeOffset.TryParse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : fallback;
        if (iso is { Length: 10 })
        {
            return iso; // already a date
        }

        return BrusselsTime(t).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    }
}
