using Microsoft.AspNetCore.Mvc;
using SubsidyEngine.Api.Ui;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Compilation;

namespace SubsidyEngine.Api.Pages;

/// <summary>The back-office board: dossiers grouped by state (labels from the definitions), with counts and filters (call, state, text).</summary>
public sealed class BoardModel(DossierQueries queries, WorkflowCatalog catalog) : UiPageModel
{
    public const int Limit = 1000;

    [BindProperty(SupportsGet = true)]
    public string? CallId { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? State { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Q { get; set; }

    public IReadOnlyList<DossierSnapshot> Calls { get; private set; } = [];

    public IReadOnlyList<DossierSnapshot> Dossiers { get; private set; } = [];

    public long Total { get; private set; }

    public WorkflowCatalog Catalog => catalog;

    public CompiledWorkflow Wf(DossierSnapshot d) => catalog.Get(d.WorkflowId, d.WorkflowVersion);

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (Scope.IsMunicipality)
        {
            return LocalRedirect("/portal");
        }

        var all = await queries.ListAsync(Scope, new DossierFilter(), 1, Limit, ct);
        Calls = all.Items.Where(d => d.WorkflowId.EndsWith("/call", StringComparison.Ordinal)).ToList();
        var filter = new DossierFilter
        {
            Parent = string.IsNullOrEmpty(CallId) ? null : CallId,
            State = string.IsNullOrEmpty(State) ? null : State,
            Text = string.IsNullOrWhiteSpace(Q) ? null : Q.Trim(),
        };
        var page = await queries.ListAsync(Scope, filter, 1, Limit, ct);
        Dossiers = page.Items.Where(d => !d.WorkflowId.EndsWith("/call", StringComparison.Ordinal)).ToList();
        Total = page.Total;
        return Page();
    }
}
