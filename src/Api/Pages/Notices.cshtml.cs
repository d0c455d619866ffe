using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using SubsidyEngine.Api.Ui;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Notices;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Api.Pages;

/// <summary>
/// Follow-up for officers and admins: the failed notices with their last error and a retry button
/// (<see cref="NoticeDispatcher.RetryAsync"/>, journaled as <c>notice.requeued</c>), and one dossier's deadlines
/// with an "extend" form (new date + reason, <see cref="ReminderSweeper.ExtendAsync"/>, journaled as
/// <c>deadline.extended</c>): the same Engine calls as <c>NoticeEndpoints</c>.
/// </summary>
public sealed class NoticesModel(NoticeDispatcher dispatcher, NoticeQueries notices, ReminderSweeper reminders, DossierQueries queries) : UiPageModel
{
    public IReadOnlyList<FailedNotice> Failed { get; private set; } = [];

    /// <summary>References of the dossiers of the failed notices.</summary>
    public Dictionary<Guid, string> References { get; } = [];

    /// <summary>The dossier whose deadlines are shown (query <c>dossier</c>: id or reference).</summary>
    [BindProperty(SupportsGet = true, Name = "dossier")]
    public string? DossierQuery { get; set; }

    public DossierSnapshot? Dossier { get; private set; }

    public IReadOnlyList<DeadlineRecord> Deadlines { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (!MayUse)
        {
            return Forbid();
        }

        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostRetryAsync(Guid notice, CancellationToken ct)
    {
        if (!MayUse)
        {
            return Forbid();
        }

        try
        {
            if (await dispatcher.RetryAsync(notice, Scope.Actor, ct))
            {
                Messages.Add(T("retried"));
            }
            else
            {
                Errors.Add(T("not.failed"));
            }
        }
        catch (NoticeNotFoundException)
        {
            return NotFound();
        }

        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostExtendAsync(Guid deadline, string? newDue, string? reason, CancellationToken ct)
    {
        if (!MayUse)
        {
            return Forbid();
        }

        await LoadAsync(ct);
        if (Dossier is null || Deadlines.All(d => d.Id != deadline))
        {
            return NotFound();
        }

        // Typed as day/month/year in a text field, whatever the browser's locale; ISO is accepted too.
        if (!DateInput.TryParseDate(newDue, out var date))
        {
            Errors.Add(BadDate(T("new.due")));
        }

        if (string.IsNullOrWhiteSpace(reason))
        {
            Errors.Add(T("reason.missing"));
        }

        if (Errors.Count > 0)
        {
            KeepTyped(deadline, newDue, reason);
            return Page();
        }

        // The new due time is the end of the chosen day in Belgium, like the programme's own deadlines.
        var due = date.EndOfDay;
        try
        {
            await reminders.ExtendAsync(deadline, due, reason!, Scope.Actor, ct);
            Messages.Add(T("extended"));
        }
        catch (DeadlineNotOpenException)
        {
            Errors.Add(T("deadline.not.open"));
            KeepTyped(deadline, newDue, reason);
        }
        catch (WorkflowException e)
        {
            Explain(e);
            KeepTyped(deadline, newDue, reason);
        }

        await LoadAsync(ct);
        return Page();
    }


    /// <summary>The extend form's typed values, shown again after a refusal.</summary>
    private void KeepTyped(Guid deadline, string? newDue, string? reason)
    {
        TypedTrigger = "extend-" + deadline.ToString("N");
        Typed = new Dictionary<string, string>(StringComparer.Ordinal) { ["newDue"] = newDue ?? string.Empty, ["reason"] = reason ?? string.Empty };
    }

    private bool MayUse => Scope.Role is Roles.Officer or Roles.Admin;

    private async Task LoadAsync(CancellationToken ct)
    {
        Failed = await notices.ListFailedAsync(100, ct);
        foreach (var id in Failed.Select(f => f.DossierId).Distinct())
        {
            if (await queries.GetAsync(Scope, id, ct) is { } d)
            {
                References[id] = Str(d.Data, "reference");
            }
        }

        Dossier = await FindAsync(Scope, queries, DossierQuery, ct);
        DossierQuery = ShownQuery(Dossier, DossierQuery);
        Deadlines = Dossier is null ? [] : await queries.DeadlinesAsync(Scope, Dossier.Id, ct) ?? [];
    }

    /// <summary>What the search field shows once the dossier is found: its reference, not the id that may have been typed or linked.</summary>
    public static string? ShownQuery(DossierSnapshot? found, string? query) =>
        found is not null && Str(found.Data, "reference") is { Length: > 0 } reference ? reference : query;

    /// <summary>A dossier by id or by exact reference (case-insensitive), within the scope; shared with the as-of screen.</summary>
    public static async Task<DossierSnapshot?> FindAsync(AccessScope scope, DossierQueries queries, string? query, CancellationToken ct)
    {
        var q = query?.Trim();
        if (string.IsNullOrEmpty(q) || q.Length > 200)
        {
            return null;
        }

        if (Guid.TryParse(q, out var id))
        {
            return await queries.GetAsync(scope, id, ct);
        }

        var page = await queries.ListAsync(scope, new DossierFilter { Text = q }, 1, 50, ct);
        return page.Items.FirstOrDefault(d => string.Equals(Str(d.Data, "reference"), q, StringComparison.OrdinalIgnoreCase));
    }
}
