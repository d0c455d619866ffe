using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;
using SubsidyEngine.Api.Ui;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Compilation;

namespace SubsidyEngine.Api.Pages;

/// <summary>One report awaiting review: the dossier, which report, its rows (pledged against realised) and the permitted transitions.</summary>
public sealed record ReportUnderReview(DossierSnapshot Dossier, CompiledWorkflow Workflow, string Report, IReadOnlyList<ReportRow> Rows, string? Motivation, DateTimeOffset? SubmittedAt, IReadOnlyList<TriggerOption> Options);

/// <summary>One action of a report: its code and name (from the dossier's call, in the page's language), funded (pledged) reach and realised reach.</summary>
public sealed record ReportRow(string ActionCode, string? ActionName, int Pledged, int Realised)
{
    public decimal Share => Pledged == 0 ? 0m : Math.Round(100m * Realised / Pledged, 1);
}

/// <summary>
/// Report review for officers (auditors read): the interim and final KPI reports the municipalities filed
/// (dossiers in <c>interim-review</c> and <c>final-review</c>), pledged against realised reach per action with the
/// motivation, and the review transitions the workflow permits: the continuation decision (which motivations are
/// accepted, a dedicated form since its parameter is a list) and the generated forms of the dossier page
/// (<c>_TransitionForms</c>, e.g. <c>settle</c>).
/// </summary>
public sealed class ReportsModel(DossierQueries queries, WorkflowRuntime runtime, Engine.Commands.DossierCommands commands, WorkflowCatalog catalog, ProgrammeCatalog programmes) : UiPageModel
{
    public const int Limit = 200;

    private static readonly (string State, string Report)[] ReviewStates = [("interim-review", "interimReport"), ("final-review", "finalReport")];

    public IReadOnlyList<ReportUnderReview> Reports { get; private set; } = [];

    public long Waiting { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (!Scope.SeesEverything)
        {
            return Forbid();
        }

        await LoadAsync(ct);
        return Page();
    }

    /// <summary>Decides the continuation of an interim report: the accepted motivations are the ticked actions.</summary>
    public async Task<IActionResult> OnPostContinuationAsync(Guid id, int version, string[]? accepted, CancellationToken ct)
    {
        if (!Scope.SeesEverything)
        {
            return Forbid();
        }

        if (!Scope.MayWrite)
        {
            Errors.Add(T("no.rights"));
        }
        else if (await queries.GetAsync(Scope, id, ct) is not { } dossier)
        {
            return NotFound();
        }
        else
        {
            var args = new JsonObject { ["motivationsAccepted"] = new JsonArray((accepted ?? []).Distinct(StringComparer.Ordinal).Select(a => (JsonNode)JsonValue.Create(a)!).ToArray()) };
            try
            {
                await commands.FireAsync(Scope, id, "decide-continuation", args, version, FormKey, ct);
                Messages.Add(UiPageModel.Str(dossier.Data, "reference") + ": " + TriggerLabel(catalog.Get(dossier.WorkflowId, dossier.WorkflowVersion), "decide-continuation") + " — " + T("done"));
            }
            catch (WorkflowException e)
            {
                Explain(e);
            }
        }

        await LoadAsync(ct);
        return Page();
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        var list = new List<ReportUnderReview>();
        Waiting = 0;
        foreach (var (state, report) in ReviewStates)
        {
            var page = await queries.ListAsync(Scope, new DossierFilter { State = state, ApplicationsOnly = true }, 1, Limit, ct);
            Waiting += page.Total;
            foreach (var d in page.Items)
            {
                var realised = d.Data[report]?["realised"] as JsonObject ?? [];
                var call = Str(d.Data, "programme") is { } p && Str(d.Data, "call.id") is { } c && programmes.TryGetCall(p, c, out var found) ? found : null;
                var rows = ((d.Data["amounts"] as JsonObject)?["rows"] as JsonArray ?? []).OfType<JsonObject>()
                    .Select(r => Str(r, "actionCode"))
                    .Distinct(StringComparer.Ordinal)
                    .Select(code => new ReportRow(code, call?.FindAction(code)?.Name is { } name ? (Lang == "en" ? name.En : name.Nl) : null, Pledged(d.Data, code), realised[code] is JsonValue v && v.TryGetValue<decimal>(out var n) ? (int)n : 0))
                    .ToList();
                var at = Str(d.Data, report + ".at");
                var options = await runtime.GetOptionsAsync(d.Id, Scope.Actor, ct);
                list.Add(new ReportUnderReview(d, catalog.Get(d.WorkflowId, d.WorkflowVersion), report, rows,
                    Str(d.Data, report + ".motivation") is { Length: > 0 } m ? m : null,
                    DateTimeOffset.TryParse(at, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var when) ? when : null,
                    options));
            }
        }

        Reports = list.OrderBy(r => r.SubmittedAt ?? DateTimeOffset.MaxValue).ToList();
    }

    private static int Pledged(JsonObject data, string code) =>
        ((data["amounts"] as JsonObject)?["rows"] as JsonArray ?? []).OfType<JsonObject>().Where(r => Str(r, "actionCode") == code).Sum(r => Engine.Programmes.ProgrammeGuards.Int(r, "fundedReach"));
}
