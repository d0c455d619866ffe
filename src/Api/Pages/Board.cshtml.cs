using Microsoft.AspNetCore.Mvc;
using SubsidyEngine.Api.Ui;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Compilation;

namespace SubsidyEngine.Api.Pages;

/// <summary>
/// The back-office board: dossiers grouped by state (labels from the definitions), with filters (call, state,
/// text) and paging. The counts per state come from one grouped SQL count over the whole filter, so they stay
/// correct on every page; a page lists <see cref="PageSize"/> dossiers (newest change first).
/// </summary>
public sealed class BoardModel(DossierQueries queries, WorkflowCatalog catalog, ProgrammeCatalog programmes, Engine.Notices.NoticeQueries notices, ProgrammeService service, PortalQueries keys) : UiPageModel
{
    public const int DefaultPageSize = 500;

    /// <summary>Dossiers per page (query <c>size</c>, 10 to 1000).</summary>
    [BindProperty(SupportsGet = true, Name = "size")]
    public int PageSize { get; set; } = DefaultPageSize;

    [BindProperty(SupportsGet = true)]
    public string? CallId { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? State { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Q { get; set; }

    [BindProperty(SupportsGet = true, Name = "p")]
    public int PageNumber { get; set; } = 1;

    public IReadOnlyList<DossierSnapshot> Calls { get; private set; } = [];

    /// <summary>Calls of the programme data that have no dossier yet: an officer opens them here (the call dossier is then in preparation until its window opens).</summary>
    public IReadOnlyList<Call> UnopenedCalls { get; private set; } = [];

    /// <summary>Whether the user may open calls and take the call steps (officers, admins).</summary>
    public bool MayManageCalls => Scope.MayWrite && Scope.SeesEverything;

    /// <summary>Opens a call of the programme data: creates its dossier (as <c>POST /api/programmes/{p}/calls/{c}/open</c>) and shows it.</summary>
    public async Task<IActionResult> OnPostOpenCallAsync(string? programme, string? call, CancellationToken ct)
    {
        if (!MayManageCalls)
        {
            return Forbid();
        }

        if (string.IsNullOrWhiteSpace(programme) || string.IsNullOrWhiteSpace(call) || !programmes.TryGetCall(programme, call, out _))
        {
            return BadRequest();
        }

        if (await service.FindCallDossierAsync(programme, call, ct) is { } existing)
        {
            return LocalRedirect($"/dossiers/{existing:D}");
        }

        try
        {
            var opened = await service.OpenCallAsync(programme, call, Scope.Actor, ct);
            return LocalRedirect($"/dossiers/{opened.DossierId:D}");
        }
        catch (DossierExistsException e)
        {
            return LocalRedirect($"/dossiers/{e.ExistingId:D}");
        }
        catch (WorkflowException e)
        {
            Explain(e);
            return await OnGetAsync(ct);
        }
    }

    public IReadOnlyList<DossierSnapshot> Dossiers { get; private set; } = [];

    public IReadOnlyList<StateCount> Counts { get; private set; } = [];

    public long Total { get; private set; }

    /// <summary>Notices that failed permanently (banner linking to the failed notices screen); 0 for auditors.</summary>
    public long FailedNotices { get; private set; }

    public int Pages => (int)Math.Max(1, (Total + PageSize - 1) / PageSize);

    public WorkflowCatalog Catalog => catalog;

    public CompiledWorkflow Wf(DossierSnapshot d) => catalog.Get(d.WorkflowId, d.WorkflowVersion);

    /// <summary>The board's address for another page, keeping the filters.</summary>
    public string PageUrl(int page)
    {
        var query = new List<string>();
        if (!string.IsNullOrEmpty(CallId)) query.Add("callId=" + Uri.EscapeDataString(CallId));
        if (!string.IsNullOrEmpty(State)) query.Add("state=" + Uri.EscapeDataString(State));
        if (!string.IsNullOrEmpty(Q)) query.Add("q=" + Uri.EscapeDataString(Q));
        if (PageSize != DefaultPageSize) query.Add("size=" + PageSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        query.Add("p=" + page.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return "/board?" + string.Join('&', query);
    }

    /// <summary>The export filter of the selected call (programme and call id), or empty for all calls.</summary>
    public string ExportQuery()
    {
        var call = Calls.FirstOrDefault(c => c.Id.ToString("D") == CallId);
        var parts = new List<string>();
        if (call is not null)
        {
            parts.Add("programme=" + Uri.EscapeDataString(Str(call.Data, "programme")));
            parts.Add("call=" + Uri.EscapeDataString(Str(call.Data, "call.id")));
        }

        if (!string.IsNullOrEmpty(State)) parts.Add("state=" + Uri.EscapeDataString(State));
        return parts.Count == 0 ? string.Empty : "?" + string.Join('&', parts);
    }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (Scope.IsMunicipality)
        {
            return LocalRedirect("/portal");
        }

        if (Scope.Role is Roles.Officer or Roles.Admin)
        {
            FailedNotices = await notices.CountFailedAsync(ct);
        }

        var calls = new List<DossierSnapshot>();
        foreach (var programme in programmes.Programmes)
        {
            // A call dossier's data holds its allocation over every application: the board shows its title and ids only.
            calls.AddRange((await queries.ListAsync(Scope, new DossierFilter { Workflow = $"{programme.Id}/call" }, 1, 200, ct, dataKeys: ["title", "reference", "programme", "call"])).Items);
        }

        Calls = calls;
        // Which calls of the programme data have a dossier, by their unique keys: the list above holds at most 200
        // call dossiers per programme, and a call beyond them was offered as unopened (docs/benchmarks.md, scale).
        var all = programmes.Programmes.SelectMany(p => p.Calls).ToList();
        var opened = await keys.DossiersByKeyAsync(all.Select(c => ProgrammeInputs.CallDossierKey(c.ProgrammeId, c.Id)).ToList(), ct);
        UnopenedCalls = all.Where(c => !opened.ContainsKey(ProgrammeInputs.CallDossierKey(c.ProgrammeId, c.Id))).ToList();
        var filter = new DossierFilter
        {
            Parent = string.IsNullOrEmpty(CallId) ? null : CallId,
            State = string.IsNullOrEmpty(State) ? null : State,
            Text = string.IsNullOrWhiteSpace(Q) ? null : Q.Trim(),
            ApplicationsOnly = true,
        };
        PageNumber = Math.Clamp(PageNumber, 1, 1_000_000);
        PageSize = Math.Clamp(PageSize, 10, 1000);
        Dossiers = await queries.PageAsync(Scope, filter, PageNumber, PageSize, ct, dataKeys: ["reference", "title"]); // all the board shows of a dossier
        // The counts per state read the same rows as a count(*) would: their sum is the total (one scan fewer).
        Counts = await queries.StateCountsAsync(Scope, filter, ct);
        Total = Counts.Sum(c => c.Count);
        return Page();
    }
}
