using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Mail;

namespace SubsidyEngine.Engine.Notices;

/// <summary>
/// A plain Dutch rendering of notices from the dossier data, without templates: the composer of the engine tests and
/// benchmarks, and of a host that registers no other (the service registers the Scriban letter templates'
/// <c>TemplateNoticeComposer</c>, <c>EngineServices</c>).
/// </summary>
/// <remarks>
/// Recipient: <c>contact.email</c> / <c>contact.name</c> of the dossier data when present (the authority's contact),
/// otherwise <see cref="NoticeOptions.FallbackRecipient"/> (the programme team, who forwards it). The reference is
/// <c>reference</c> of the dossier data, else the dossier id. Deterministic: the same notice and data give the same
/// text (times are shown in <see cref="NoticeOptions.TimeZone"/>, Dutch (Belgium) formatting).
/// </remarks>
public sealed class PlainNoticeComposer : INoticeComposer
{
    private static readonly CultureInfo Dutch = CultureInfo.GetCultureInfo("nl-BE");
    private readonly NoticeOptions _options;
    private readonly TimeZoneInfo _zone;

    /// <summary>Creates the composer.</summary>
    public PlainNoticeComposer(NoticeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _zone = TimeZoneInfo.FindSystemTimeZoneById(options.TimeZone);
    }

    /// <inheritdoc />
    public Task<ComposedNotice> ComposeAsync(NoticeToCompose notice, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(notice);
        return Task.FromResult(Compose(notice));
    }

    /// <summary>The synchronous rendering (the composer does no I/O).</summary>
    public ComposedNotice Compose(NoticeToCompose notice)
    {
        ArgumentNullException.ThrowIfNull(notice);
        var data = notice.DossierData;
        var reference = Text(data["reference"]) ?? notice.DossierId.ToString("D");
        var authority = Text(data["authorityName"]) ?? Text(data["owner"]);
        var contact = data["contact"] as JsonObject;
        var email = Text(contact?["email"]);
        var name = Text(contact?["name"]);
        var to = email is not null
            ? new MailRecipient(name, email)
            : new MailRecipient(string.IsNullOrWhiteSpace(_options.FallbackRecipientName) ? null : _options.FallbackRecipientName, _options.FallbackRecipient);

        var (subject, paragraphs) = notice.Reminder is { } r ? Reminder(r, reference) : Message(notice, reference);
        var greeting = name is not null ? $"Beste {name}," : authority is not null ? $"Geacht bestuur van {authority}," : "Geachte,";
        const string closing = "Met vriendelijke groeten,";
        const string signature = "Agentschap Binnenlands Bestuur — Plan Samenleven";
        var footer = $"Dossier {reference} · bericht {notice.NoticeId:D} · sjabloon {notice.TemplateId} v{notice.TemplateVersion.ToString(CultureInfo.InvariantCulture)}";

        var text = new StringBuilder();
        text.Append(greeting).Append("\n\n");
        foreach (var p in paragraphs)
        {
            text.Append(p).Append("\n\n");
        }

        text.Append(closing).Append('\n').Append(signature).Append("\n\n-- \n").Append(footer).Append('\n');

        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"nl-BE\">\n<head><meta charset=\"utf-8\"><title>")
            .Append(WebUtility.HtmlEncode(subject)).Append("</title></head>\n<body>\n");
        html.Append("<p>").Append(WebUtility.HtmlEncode(greeting)).Append("</p>\n");
        foreach (var p in paragraphs)
        {
            html.Append("<p>").Append(WebUtility.HtmlEncode(p)).Append("</p>\n");
        }

        html.Append("<p>").Append(WebUtility.HtmlEncode(closing)).Append("<br>").Append(WebUtility.HtmlEncode(signature)).Append("</p>\n");
        html.Append("<p style=\"color:#666;font-size:small\">").Append(WebUtility.HtmlEncode(footer)).Append("</p>\n</body>\n</html>\n");
        var htmlText = html.ToString();

        return new ComposedNotice
        {
            To = [to],
            Subject = subject,
            Html = htmlText,
            Text = text.ToString(),
            HtmlSha256 = ComposedNotice.Sha256Of(htmlText),
        };
    }

    private (string Subject, List<string> Paragraphs) Reminder(ReminderInfo r, string reference)
    {
        var due = FormatLocal(r.Due);
        var what = $"de termijn '{r.DeadlineKind}' van dossier {reference}";
        if (r.OverdueNumber is { } n)
        {
            return ($"Herinnering: termijn {r.DeadlineKind} verstreken ({reference})",
            [
                $"De uiterste datum voor {what} was {due}. We hebben nog niets ontvangen.",
                n == 1
                    ? "Wilt u dit zo snel mogelijk in orde brengen, of ons laten weten waarom dit niet lukt?"
                    : $"Dit is herinnering nummer {n.ToString(CultureInfo.InvariantCulture)} na de uiterste datum. Wilt u dit zo snel mogelijk in orde brengen, of ons laten weten waarom dit niet lukt?",
            ]);
        }

        var days = r.DaysBefore ?? 0;
        if (days == 0)
        {
            return ($"Herinnering: termijn {r.DeadlineKind} verloopt vandaag ({reference})",
            [
                $"Vandaag, {due}, verstrijkt {what}.",
                "Hebt u het al ingediend? Dan mag u dit bericht negeren.",
            ]);
        }

        return ($"Herinnering: termijn {r.DeadlineKind} verloopt over {days.ToString(CultureInfo.InvariantCulture)} dagen ({reference})",
        [
            $"Over {days.ToString(CultureInfo.InvariantCulture)} dagen, op {due}, verstrijkt {what}.",
            "Hebt u het al ingediend? Dan mag u dit bericht negeren.",
        ]);
    }

    private (string Subject, List<string> Paragraphs) Message(NoticeToCompose notice, string reference)
    {
        var state = notice.DossierState;
        return notice.Kind switch
        {
            NoticeKinds.Letter => ($"Brief over uw dossier {reference}: {notice.TemplateId}",
            [
                $"In uw dossier {reference} werd een beslissing genomen ({notice.TemplateId}). Het dossier staat nu in de fase '{state}'.",
                "De volledige brief vindt u in het e-loket van Plan Samenleven.",
            ]),
            NoticeKinds.Digest => ($"Overzicht van uw dossiers ({reference})",
            [
                $"Een overzicht van de wijzigingen in dossier {reference}; het dossier staat in de fase '{state}'.",
            ]),
            _ => ($"Bericht over uw dossier {reference}: {notice.TemplateId}",
            [
                $"Er is een wijziging in uw dossier {reference} ({notice.TemplateId}). Het dossier staat nu in de fase '{state}'.",
            ]),
        };
    }

    private string FormatLocal(DateTimeOffset t)
    {
        var local = TimeZoneInfo.ConvertTime(t, _zone);
        return local.ToString("dddd d MMMM yyyy 'om' HH:mm", Dutch);
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) && !string.IsNullOrWhiteSpace(s) ? s.Trim() : null;
}
