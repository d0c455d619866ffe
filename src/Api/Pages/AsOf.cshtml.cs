using Microsoft.AspNetCore.Mvc;
using SubsidyEngine.Api.Ui;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Api.Pages;

/// <summary>
/// "State as of a date" for auditors (and officers, admins): a dossier (id or reference) and a moment in Belgian
/// time; shows the state, amounts, open deadlines and letters as the journal alone had them then
/// (<see cref="TimeTravel"/>, like <c>/api/dossiers/{id}/as-of</c>), and the verification of the whole chain
/// (<see cref="Engine.Audit.AuditReplay.ReplayAsync"/>: hash chain, effects, projection, and the stored letters re-rendered).
/// </summary>
public sealed class AsOfModel(DossierQueries queries, TimeTravel travel, Engine.Audit.AuditReplay replayer, WorkflowCatalog catalog, TimeProvider clock) : UiPageModel
{
    /// <summary>Amount fields shown, with their label key: the dossier data's figures computed by the rules.</summary>
    public static readonly (string Path, string Label)[] AmountFields =
    [
        ("amounts.requestedTotalEur", "requested"), ("allocation.allocatedEur", "allocated"), ("payment.awardEur", "awarded"),
        ("payment.advanceEur", "payment.advance"), ("settlement.earnedEur", "earned"), ("settlement.recoveryEur", "export.recoveries"),
        ("settlement.balancePayableEur", "balance"),
    ];

    [BindProperty(SupportsGet = true, Name = "dossier")]
    public string? DossierQuery { get; set; }

    /// <summary>The moment as typed (<c>01/06/2023 12:00</c>, Belgian time; see <see cref="DateInput.TryParseDateTime"/>).</summary>
    [BindProperty(SupportsGet = true)]
    public string? At { get; set; }

    public DossierSnapshot? Dossier { get; private set; }

    public DossierAsOf? Result { get; private set; }

    public ReplayReport? Chain { get; private set; }

    /// <summary>The moment lies before the dossier's creation.</summary>
    public bool NotYet { get; private set; }

    public string? Reference => Dossier is null ? null : Str(Dossier.Data, "reference");

    /// <summary>The procedure's title in the page's language (the workflow id is for the tooltip only).</summary>
    public string WorkflowTitleAsOf => Result is null ? string.Empty : catalog.Get(Result.WorkflowId, Result.WorkflowVersion).Definition.Title?.For(Lang) ?? Result.WorkflowId;

    public string StateLabelAsOf => Result is null || Result.Events == 0 ? string.Empty : StateLabel(catalog.Get(Result.WorkflowId, Result.WorkflowVersion), Result.State);

    /// <summary>The definition the dossier followed then (the labels of its deadline kinds).</summary>
    public Workflows.Model.WorkflowDefinition? DefinitionAsOf => Result is null || Result.Events == 0 ? null : catalog.Get(Result.WorkflowId, Result.WorkflowVersion).Definition;

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (!Scope.SeesEverything)
        {
            return Forbid();
        }

        At ??= DateInput.Show(clock.GetUtcNow());
        if (string.IsNullOrWhiteSpace(DossierQuery))
        {
            return Page();
        }

        Dossier = await NoticesModel.FindAsync(Scope, queries, DossierQuery, ct);
        if (Dossier is null)
        {
            Errors.Add(T("dossier") + ": " + T("none"));
            return Page();
        }

        // Typed as day/month/year and time in Belgian time, whatever the browser's locale (a date alone: the end of that day).
        if (!DateInput.TryParseDateTime(At, out var at))
        {
            Errors.Add(BadDate(T("as.of.moment"), withTime: true));
            return Page();
        }
        try
        {
            Result = await travel.AsOfAsync(Dossier.Id, at, ct);
        }
        catch (DossierNotFoundException)
        {
            // No journal event at or before the moment: the dossier did not exist yet.
            NotYet = true;
        }

        Chain = await replayer.ReplayAsync(Dossier.Id, cancellationToken: ct);
        return Page();
    }
}
