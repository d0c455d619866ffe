using SubsidyEngine.Workflows.Calendar;
using SubsidyEngine.Workflows.Model;

namespace SubsidyEngine.Api.Ui;

/// <summary>
/// Words for people in place of internal ids on the screens (issue 20): letter titles by template id, deadline kinds
/// (from the definitions through <see cref="DeadlineLabels"/>), deadline and letter statuses, journal record kinds.
/// An id nobody named shows a generic word, never the id.
/// </summary>
public static class Labels
{
    private static readonly Dictionary<string, (string Nl, string En)> LetterTitles = new(StringComparer.Ordinal)
    {
        ["acknowledgement"] = ("Ontvangstbevestiging van de aanvraag", "Acknowledgement of the application"),
        ["award-decision"] = ("Beslissing tot toekenning onder voorbehoud", "Provisional award decision"),
        ["award-final"] = ("Definitieve toekenning", "Final award"),
        ["checkpoint-digest"] = ("Controlepunt van het dossierregister", "Checkpoint of the dossier journal"),
        ["closure"] = ("Afsluiting van het dossier", "Closure of the dossier"),
        ["continuation-decision"] = ("Beslissing over de voortzetting", "Continuation decision"),
        ["deadline-timeout"] = ("Termijn verstreken", "Deadline passed"),
        ["extension-notice"] = ("Verlenging van de projectperiode", "Extension of the project period"),
        ["ineligibility-decision"] = ("Beslissing tot onontvankelijkheid", "Ineligibility decision"),
        ["information-request"] = ("Vraag om bijkomende informatie", "Request for information"),
        ["recovery-preinformation"] = ("Voorafgaande kennisgeving van terugvordering", "Pre-notice of recovery"),
        ["report-reminder"] = ("Herinnering aan de rapportering", "Reporting reminder"),
        ["settlement-decision"] = ("Beslissing over de afrekening", "Settlement decision"),
    };

    private static readonly Dictionary<string, (string Nl, string En)> Words = new(StringComparer.Ordinal)
    {
        ["deadline.open"] = ("loopt", "running"),
        ["deadline.met"] = ("nagekomen", "met"),
        ["deadline.cleared"] = ("vervallen", "no longer needed"),
        ["deadline.fired"] = ("verstreken, gevolg uitgevoerd", "passed, consequence applied"),
        ["notice.pending"] = ("klaar om te verzenden", "ready to send"),
        ["notice.sending"] = ("wordt verzonden", "being sent"),
        ["notice.sent"] = ("verzonden", "sent"),
        ["notice.failed"] = ("verzending mislukt", "sending failed"),
        ["notice.cancelled"] = ("geannuleerd", "cancelled"),
        ["record.letter.opened"] = ("Brief geopend", "Letter opened"),
        ["record.notice.sent"] = ("Brief verzonden", "Letter sent"),
        ["record.notice.failed"] = ("Verzending van een brief mislukt", "Sending a letter failed"),
        ["record.notice.requeued"] = ("Brief opnieuw in de wachtrij", "Letter queued again"),
        ["record.created"] = ("Dossier aangemaakt", "Dossier created"),
        ["record.migrated"] = ("Overgezet naar een nieuwe versie van de workflow", "Moved to a new version of the workflow"),
        ["record.migration"] = ("Overgezet naar een nieuwe versie van de workflow", "Moved to a new version of the workflow"),
        ["record.timeout"] = ("Termijn verstreken", "Deadline passed"),
        ["record.other"] = ("Registratie", "Record"),
        ["letter.other"] = ("Brief", "Letter"),
        ["status.other"] = ("onbekend", "unknown"),
    };

    private static string Pick((string Nl, string En) s, string lang) => lang == "en" ? s.En : s.Nl;

    /// <summary>The title of a letter by its template id.</summary>
    public static string LetterTitle(string templateId, string lang) =>
        Pick(LetterTitles.TryGetValue(templateId, out var t) ? t : Words["letter.other"], lang);

    /// <summary>The name of a deadline kind: the definition's label, the catalogue of published kinds, else "Termijn".</summary>
    public static string DeadlineKind(string kind, WorkflowDefinition? definition, string lang) =>
        DeadlineLabels.For(kind, definition).For(lang);

    public static string DeadlineStatus(string status, string lang) =>
        Pick(Words.TryGetValue("deadline." + status, out var s) ? s : Words["status.other"], lang);

    public static string NoticeStatus(string status, string lang) =>
        Pick(Words.TryGetValue("notice." + status, out var s) ? s : Words["status.other"], lang);

    /// <summary>A journal record that is not a transition (letter opened, notice sent, migration, timeout).</summary>
    public static string RecordKind(string kind, string lang) =>
        Pick(Words.TryGetValue("record." + kind, out var s) ? s : Words["record.other"], lang);
}
