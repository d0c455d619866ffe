using Microsoft.AspNetCore.Mvc;
using SubsidyEngine.Api.Ui;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Notices;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Api.Pages;

/// <summary>The municipality portal: "Mijn dossiers" (own and cooperations', filtered in SQL) and the open calls to apply for.</summary>
public sealed class PortalModel(
    DossierQueries queries, PortalQueries portal, ProgrammeCatalog programmes, Engine.Commands.DossierCommands commands, WorkflowCatalog catalog, TimeProvider clock, CalendarFeed calendar, Microsoft.Extensions.Options.IOptions<SubsidyOptions> options) : UiPageModel
{
    public IReadOnlyList<DossierSnapshot> Dossiers { get; private set; } = [];

    /// <summary>Calls inside their application window whose call dossier an officer has opened (state <c>open</c>).</summary>
    public IReadOnlyList<Call> OpenCalls { get; private set; } = [];

    /// <summary>Per dossier: the nearest open deadline and the letters not opened yet.</summary>
    public IReadOnlyDictionary<Guid, PortalLine> Lines { get; private set; } = new Dictionary<Guid, PortalLine>();

    /// <summary>The register (names of the participating authorities; the picker's script searches it through the cooperation endpoint).</summary>
    public AuthorityRegister Authorities => programmes.Authorities;

    public WorkflowCatalog Catalog => catalog;

    /// <summary>Active calendar links of the authority (their secrets are not stored, so they cannot be shown again).</summary>
    public int ActiveCalendarLinks { get; private set; }

    /// <summary>The feed address just created; shown once.</summary>
    public string? NewCalendarUrl { get; private set; }

    /// <summary>Creates a calendar link; when links exist, revokes them first (after confirmation), in one transaction.</summary>
    public async Task<IActionResult> OnPostCalendarAsync(bool confirm, CancellationToken ct)
    {
        if (!Scope.IsMunicipality || Scope.AuthorityId is null)
        {
            return Forbid();
        }

        if (await calendar.CountActiveAsync(Scope.AuthorityId, ct) > 0 && !confirm)
        {
            Errors.Add(T("calendar.renew.confirm"));
        }
        else
        {
            var (token, _) = await calendar.RenewAsync(Scope.AuthorityId, ct);
            // In English mode the feed words its events in English too.
            NewCalendarUrl = options.Value.PublicBaseUrl.TrimEnd('/') + token.Path + (Lang == "en" ? "?lang=en" : string.Empty);
            Messages.Add(T("calendar.created"));
        }

        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (!Scope.IsMunicipality)
        {
            return LocalRedirect("/board");
        }

        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostStartAsync(string? programme, string? call, string? participants, CancellationToken ct)
    {
        if (!Scope.IsMunicipality || Scope.AuthorityId is null)
        {
            return Forbid();
        }

        if (string.IsNullOrWhiteSpace(programme) || string.IsNullOrWhiteSpace(call))
        {
            return BadRequest(); // the form always sends both; the catalogue lookup cannot take a missing key
        }

        var list = (participants ?? string.Empty).Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
        try
        {
            var result = await commands.StartApplicationAsync(Scope, programme, call, new Engine.Commands.StartApplication(null, list, null), FormKey, ct);
            return LocalRedirect($"/dossiers/{result.DossierId:D}");
        }
        catch (DossierExistsException e)
        {
            // The authority already applied for this call: its application is the answer.
            return LocalRedirect($"/dossiers/{e.ExistingId:D}");
        }
        catch (Exception e) when (e is WorkflowException or KeyNotFoundException)
        {
            Explain(e);
            await LoadAsync(ct);
            return Page();
        }
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        // What the list shows (reference, title, the status label's extension date) and the call, not the whole data.
        Dossiers = (await queries.ListAsync(Scope, new DossierFilter(), 1, 200, ct, dataKeys: ["reference", "title", "extension", "extendedUntil", "call"])).Items;
        ActiveCalendarLinks = Scope.AuthorityId is null ? 0 : await calendar.CountActiveAsync(Scope.AuthorityId, ct);
        var now = clock.GetUtcNow();
        var inWindow = programmes.Programmes.SelectMany(p => p.Calls).Where(c => c.Window.Contains(now)).ToList();
        var opened = await portal.OpenCallKeysAsync(inWindow.Select(c => ProgrammeInputs.CallDossierKey(c.ProgrammeId, c.Id)).ToList(), ct);
        OpenCalls = inWindow.Where(c => opened.Contains(ProgrammeInputs.CallDossierKey(c.ProgrammeId, c.Id))).ToList();
        Lines = Scope.AuthorityId is null ? new Dictionary<Guid, PortalLine>() : await portal.LinesAsync(Dossiers.Select(d => d.Id).ToList(), Scope.AuthorityId, ct);

        // A call the authority already applied to (as applicant, or as a participant of another's application) shows
        // that dossier instead of a second "start" (which the unique key would refuse anyway).
        var own = Scope.AuthorityId is { } authority
            ? await portal.DossiersByKeyAsync(OpenCalls.Select(c => ApplicationKey(c, authority)).ToList(), ct)
            : new Dictionary<string, Guid>();
        foreach (var c in OpenCalls)
        {
            var existing = Scope.AuthorityId is { } a && own.TryGetValue(ApplicationKey(c, a), out var id) ? Dossiers.FirstOrDefault(d => d.Id == id) : null;
            existing ??= Dossiers.FirstOrDefault(d => d.WorkflowId == ProgrammeService.DossierWorkflow(c.ProgrammeId) && Str(d.Data, "call.id") == c.Id);
            if (existing is not null)
            {
                ExistingApplications[c.ProgrammeId + "/" + c.Id] = existing;
            }
            else if (Scope.AuthorityId is { } b && own.TryGetValue(ApplicationKey(c, b), out var beyond))
            {
                // Not among the first page of dossiers: a link with the id is still better than a refused start.
                ExistingApplications[c.ProgrammeId + "/" + c.Id] = new DossierSnapshot(beyond, ProgrammeService.DossierWorkflow(c.ProgrammeId), 0, string.Empty, 0, new System.Text.Json.Nodes.JsonObject(), string.Empty, default, default);
            }
        }
    }

    private static string ApplicationKey(Call c, string authority) => $"{ProgrammeService.DossierWorkflow(c.ProgrammeId)}|{c.Id}|{authority}";

    /// <summary>Per open call (<c>programme/call</c>): the dossier of this authority's application for it, if any.</summary>
    public Dictionary<string, DossierSnapshot> ExistingApplications { get; } = new(StringComparer.Ordinal);
}
