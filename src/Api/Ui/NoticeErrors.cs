using System.Globalization;
using System.Text.RegularExpressions;

namespace SubsidyEngine.Api.Ui;

/// <summary>
/// A failed notice's error as one sentence in the screen's language. The dispatcher records a technical text in
/// English, often quoting the mail server (<c>permanent failure: SMTP server host:25: recipient x@y refused: 550
/// 5.1.1 ...</c>); the failed notices screen shows this sentence and keeps the technical text, marked as English,
/// in a collapsed detail for the operations team.
/// </summary>
public static partial class NoticeErrors
{
    [GeneratedRegex(@"recipient (?<address>[^\s:]+) refused: (?<code>[245]\d\d(?: [245]\.\d{1,3}\.\d{1,3})?)")]
    private static partial Regex RecipientRefused();

    [GeneratedRegex(@"sender (?<address>[^\s:]+) refused: (?<code>[245]\d\d(?: [245]\.\d{1,3}\.\d{1,3})?)")]
    private static partial Regex SenderRefused();

    [GeneratedRegex(@"SMTP server [^\s:]+(?::\d+)?: [^:]+: (?<code>[45]\d\d(?: [45]\.\d{1,3}\.\d{1,3})?)")]
    private static partial Regex ServerRefused();

    [GeneratedRegex(@"gave up after (?<n>\d+) attempts")]
    private static partial Regex GaveUp();

    /// <summary>The sentence for <paramref name="error"/> in <paramref name="lang"/> (<c>nl</c> or <c>en</c>).</summary>
    public static string Describe(string? error, string lang)
    {
        var en = lang == "en";
        var text = error ?? string.Empty;
        var prefix = string.Empty;
        if (GaveUp().Match(text) is { Success: true } gaveUp)
        {
            var n = int.Parse(gaveUp.Groups["n"].Value, CultureInfo.InvariantCulture);
            prefix = en ? $"Given up after {n} attempts. " : $"Opgegeven na {n} pogingen. ";
            if (text.Contains("outcome was never recorded", StringComparison.Ordinal))
            {
                return prefix + (en ? "The outcome of the attempts was never recorded." : "De uitkomst van de pogingen werd nooit vastgelegd.");
            }
        }

        return prefix + Cause(text, en);
    }

    private static string Cause(string text, bool en)
    {
        if (text.Contains("cannot be rendered", StringComparison.Ordinal) || text.Contains("could not be rendered", StringComparison.Ordinal))
        {
            return en
                ? "The letter could not be drawn up (an error in the template or in the dossier's data); sending it again helps only after a correction."
                : "De brief kon niet worden opgemaakt (een fout in het sjabloon of in de gegevens van het dossier); opnieuw versturen helpt pas na een correctie.";
        }

        if (RecipientRefused().Match(text) is { Success: true } r)
        {
            return en
                ? $"The mail server refused the recipient {r.Groups["address"].Value} (SMTP code {r.Groups["code"].Value})."
                : $"De mailserver weigerde de ontvanger {r.Groups["address"].Value} (SMTP-code {r.Groups["code"].Value}).";
        }

        if (SenderRefused().Match(text) is { Success: true } s)
        {
            return en
                ? $"The mail server refused the sender {s.Groups["address"].Value} (SMTP code {s.Groups["code"].Value})."
                : $"De mailserver weigerde de afzender {s.Groups["address"].Value} (SMTP-code {s.Groups["code"].Value}).";
        }

        if (ServerRefused().Match(text) is { Success: true } m)
        {
            return en
                ? $"The mail server refused the message (SMTP code {m.Groups["code"].Value})."
                : $"De mailserver weigerde het bericht (SMTP-code {m.Groups["code"].Value}).";
        }

        if (text.Contains("SMTP", StringComparison.Ordinal) || text.Contains("TLS", StringComparison.Ordinal))
        {
            return en ? "The mail server could not be reached or refused the connection." : "De mailserver was niet bereikbaar of weigerde de verbinding.";
        }

        if (text.Contains("address", StringComparison.OrdinalIgnoreCase))
        {
            return en ? "An address of the message is not valid." : "Een adres van het bericht is ongeldig.";
        }

        return en ? "The message could not be sent." : "Het bericht kon niet worden verzonden.";
    }
}
