using Microsoft.AspNetCore.Mvc;
using SubsidyEngine.Api.Ui;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Api.Pages;

/// <summary>
/// A call's dashboard (officer, admin, auditor): budget distribution, per-action totals, submitters and
/// participating authorities, and the KPI pledged against realised reach, as SVG charts with tables of the same
/// numbers (<see cref="CallDashboard"/>), plus the export links filtered on the call.
/// </summary>
public sealed class DashboardModel([FromKeyedServices(Engine.Database.StaleReads.Key)] DossierQueries queries, WorkflowCatalog catalog, ProgrammeCatalog programmes) : UiPageModel
{
    public DossierSnapshot Call { get; private set; } = null!;

    public CallDashboardData Data { get; private set; } = null!;

    public string Programme { get; private set; } = string.Empty;

    public string CallId { get; private set; } = string.Empty;

    public string Title { get; private set; } = string.Empty;

    public string StateLabelOf(string state) => StateLabel(catalog.Latest(ProgrammeService.DossierWorkflow(Programme)), state);

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct)
    {
        if (!Scope.SeesEverything)
        {
            return Forbid();
        }

        var call = await queries.GetAsync(Scope, id, ct);
        if (call is null || !call.WorkflowId.EndsWith("/call", StringComparison.Ordinal))
        {
            return NotFound();
        }

        Call = call;
        Programme = Str(call.Data, "programme");
        CallId = Str(call.Data, "call.id");
        Title = programmes.TryGetCall(Programme, CallId, out var c) && c is not null ? (Lang == "en" ? c.Name.En : c.Name.Nl) : Str(call.Data, "title");
        var applications = await queries.ListAsync(Scope, new DossierFilter { Workflow = ProgrammeService.DossierWorkflow(Programme), Parent = id.ToString("D") }, 1, 100_000, ct);
        Data = CallDashboard.Build(call, applications.Items);
        return Page();
    }
}
