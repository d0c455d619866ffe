using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using SubsidyEngine.Api.Auth;
using SubsidyEngine.Api.Ui;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Audit;
using SubsidyEngine.Engine.Diagrams;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Engine.Rules;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Compilation;
using SubsidyEngine.Workflows.Model;

namespace SubsidyEngine.Api.Pages;

/// <summary>
/// One dossier for every role: summary, the application (an editable table for the municipality in draft), report
/// forms, the permitted transitions with generated parameter forms and the reasons of the others, letters,
/// deadlines, the journal as a timeline, the workflow diagram, and (officers, auditors) replay. Calls get the
/// allocation panel. Visibility comes from <see cref="DossierQueries"/> (SQL); an invisible dossier is a 404.
/// </summary>
public sealed class DossierModel(
    DossierQueries queries, WorkflowRuntime runtime, Engine.Commands.DossierCommands commands, WorkflowCatalog catalog, ProgrammeCatalog programmes, ProgrammeService service,
    Engine.Audit.AuditReplay replay, TimeProvider clock, IAuthorizationService authorization) : UiPageModel
{
    /// <summary>Triggers with a dedicated form on this page (or on the call panel); never offered as generic buttons.</summary>
    public static readonly HashSet<string> Dedicated = ["save-draft", "update-application", "submit", "report-interim", "report-final", "declare-eligible", "declare-ineligible", "allocate", "confirm-allocation"];

    public DossierSnapshot Dossier { get; private set; } = null!;

    public CompiledWorkflow Workflow { get; private set; } = null!;

    public IReadOnlyList<TriggerOption> Options { get; private set; } = [];

    public IReadOnlyList<JournalEvent> Journal { get; private set; } = [];

    public IReadOnlyList<NoticeRecord> Notices { get; private set; } = [];

    public IReadOnlyList<DeadlineRecord> Deadlines { get; private set; } = [];

    public Call? Call { get; private set; }

    public bool MayReview { get; private set; }

    public ReplayReport? Replay { get; private set; }

    public AllocationResult? Preview { get; private set; }

    public IReadOnlyList<DossierSnapshot> CallApplications { get; private set; } = [];

    /// <summary>Call summary: budget, requested, allocated (<see cref="CallFigures"/>; the dashboard page has the rest).</summary>
    public CallFigures Figures => CallFigures.Of(Dec(Dossier.Data, "call.budgetEur"), CallApplications.ToList());

    public bool IsCall => Dossier.WorkflowId.EndsWith("/call", StringComparison.Ordinal);

    public bool Allowed(string trigger) => Options.Any(o => o.Trigger == trigger && o.RoleAllowed);

    /// <summary>Generic transition buttons: allowed to the role, not automatic, no dedicated form, and every parameter has a field type.</summary>
    public IEnumerable<TriggerOption> GenericOptions => Generic(Options, Scope);

    /// <summary>The options that get a generated form for <paramref name="scope"/> (shared with the report review).</summary>
    public static IEnumerable<TriggerOption> Generic(IEnumerable<TriggerOption> options, AccessScope scope) => scope.MayWrite
        ? options.Where(o => o.RoleAllowed && o.Permitted && !o.Definition.Automatic && !Dedicated.Contains(o.Trigger) && o.Definition.Parameters.All(p => FieldType(p) is not null))
        : [];

    /// <summary>
    /// Refused options worth explaining here: not automatic, and not an action only the call page takes (an
    /// application's <c>allocate</c> is fired by the call's confirmed allocation, never from the application).
    /// </summary>
    public IEnumerable<TriggerOption> Blocked => Options.Where(o => o.RoleAllowed && !o.Permitted && !o.Definition.Automatic && !(!IsCall && CallPageOnly.Contains(o.Trigger))
        && !FormOnPage(o.Trigger));

    /// <summary>
    /// The report the municipality files on this page (its form has a card of its own), else null.
    /// </summary>
    public string? ReportTrigger => Scope.IsMunicipality ? (Allowed("report-interim") ? "report-interim" : Allowed("report-final") ? "report-final" : null) : null;

    /// <summary>Whether the municipality edits the application table on this page (save, update, submit).</summary>
    public bool ApplicationEditable => Scope.IsMunicipality && (Allowed("save-draft") || Allowed("update-application"));

    /// <summary>
    /// Whether the trigger's own form is on this page (the report card; the submit under the application table).
    /// Such a trigger is not listed as refused: judged on what is stored, not on the figures the form asks for, it
    /// would read "the report holds no realised reach" or "at least one action needs a planned reach" right next to
    /// the form the person is filling in (issue 20's screenshot review). A refused post of that form shows the reason.
    /// </summary>
    private bool FormOnPage(string trigger) =>
        (ReportTrigger is not null && trigger is "report-interim" or "report-final")
        || (ApplicationEditable && trigger == "submit");

    /// <summary>Application triggers that only the call page fires (for all applications of the call at once).</summary>
    public static readonly HashSet<string> CallPageOnly = ["allocate"];

    /// <summary>Values typed in a refused post of the application table (kept so no edit is lost); null after a successful save.</summary>
    public Dictionary<string, string>? Posted { get; private set; }

    /// <summary>The confirmation tick of a refused submit.</summary>
    public bool ConfirmTicked { get; private set; }

    /// <summary>A field of the application table: the value typed in a refused post, else the stored one.</summary>
    public string? Value(string code, string field, JsonNode? stored) =>
        Posted is not null ? Posted.GetValueOrDefault($"{field}_{code}") : stored?.ToString();

    /// <summary>Triggers whose generated form sits in the card it belongs to (the answer next to the officer's questions), not in the actions card.</summary>
    public static readonly HashSet<string> Inline = ["answer-information"];

    /// <summary>The generated forms shown next to what they answer (see <see cref="Inline"/>).</summary>
    public IEnumerable<TriggerOption> InlineOptions => GenericOptions.Where(o => Inline.Contains(o.Trigger));

    /// <summary>The generated forms of the actions card.</summary>
    public IEnumerable<TriggerOption> ActionOptions => GenericOptions.Where(o => !Inline.Contains(o.Trigger));

    /// <summary>Whether the actions card has a form (eligibility or a generated transition form).</summary>
    public bool HasActions => (Scope.SeesEverything && (Allowed("declare-eligible") || Allowed("declare-ineligible"))) || ActionOptions.Any() || OpenWindowOption is not null;

    /// <summary>
    /// On a call in preparation: opening it for applications. The trigger is automatic (the window's start fires it)
    /// but officers may fire it too, so the officer who opened the call on the board can open it for applications
    /// without waiting for the scheduler's next sweep.
    /// </summary>
    public TriggerOption? OpenWindowOption => IsCall && Scope.SeesEverything && Scope.MayWrite
        && (Call is null || Call.Window.Opens <= clock.GetUtcNow())
        ? Options.FirstOrDefault(o => o.Trigger == "open-window" && o.RoleAllowed && o.Permitted)
        : null;

    /// <summary>The dossier's way through its definition so far, from the journal (the diagram highlights it).</summary>
    public DiagramPath DiagramPath
    {
        get
        {
            var states = new List<string>();
            var taken = new List<(string From, string Trigger, string To)>();
            foreach (var e in Journal.OrderBy(e => e.DossierSeq))
            {
                if (e.Kind == "transition")
                {
                    taken.Add((e.FromState, e.Trigger, e.ToState));
                }
                else if (e.Kind != "created")
                {
                    continue;
                }

                if (states.Count == 0 || states[^1] != e.ToState)
                {
                    states.Add(e.ToState);
                }
            }

            if (states.Count == 0 || states[^1] != Dossier.State)
            {
                states.Add(Dossier.State);
            }

            return new DiagramPath(states, taken);
        }
    }

    /// <summary>An instant stored as ISO text, in Belgian time (empty when absent).</summary>
    public string WhenText(string iso) =>
        DateTimeOffset.TryParse(iso, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at) ? When(at) : iso;

    /// <summary>A calendar date stored as yyyy-MM-dd, as "7 december 2026".</summary>
    public string DateText(string iso) =>
        DateOnly.TryParseExact(iso, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? Day(date)
        : DateTimeOffset.TryParse(iso, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at) ? When(at) : iso;

    /// <summary>Why the actions card has no form: the municipality's forms are above, or nobody expects anything from this user now.</summary>
    public string NoActionsText()
    {
        if (Scope.IsMunicipality && (Allowed("save-draft") || Allowed("update-application") || Allowed("report-interim") || Allowed("report-final")))
        {
            return T("actions.above");
        }

        if (Scope.IsMunicipality)
        {
            return T("actions.none.municipality");
        }

        return IsCall ? T("actions.none.call") : T("actions.none");
    }

    public static string? FieldType(ParameterDefinition p) => p.Type switch
    {
        "string" => "text",
        "text" => "textarea",
        "int" or "decimal" => "number",
        "date" => "date",
        "datetime" => "datetime-local",
        "bool" => "checkbox",
        _ => null,
    };

    public string Label(ParameterDefinition p) => ParameterLabel(p);

    /// <summary>The state label of another dossier (an application on the call page), from its own definition.</summary>
    public string StateLabelOf(DossierSnapshot other) => StateLabel(catalog.Get(other.WorkflowId, other.WorkflowVersion), other.State);

    /// <summary>The funded actions of the dossier's call with today's rate (the server recomputes on save).</summary>
    public IEnumerable<(ActionDefinition Action, decimal Rate)> FundedActions()
    {
        if (Call is null)
        {
            return [];
        }

        var today = DateOnly.FromDateTime(Templates.NlBeFormat.ToBelgianTime(clock.GetUtcNow()));
        return Call.FundedActions.Select(a => (a, a.RateOn(today) ?? 0m));
    }

    public JsonObject? ApplicationRow(string code) =>
        ((Dossier.Data["application"] as JsonObject)?["rows"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(r => Str(r, "action") == code);

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct) => await LoadAsync(id, ct) ? Page() : NotFound();

    public async Task<IActionResult> OnGetReplayAsync(Guid id, CancellationToken ct)
    {
        if (!await LoadAsync(id, ct))
        {
            return NotFound();
        }

        if (!MayReview)
        {
            return Forbid();
        }

        Replay = await replay.ReplayAsync(id, cancellationToken: ct);
        return Page();
    }

    public Task<IActionResult> OnPostSaveAsync(Guid id, CancellationToken ct) => SaveAsync(id, submit: false, false, ct);

    public Task<IActionResult> OnPostSubmitAsync(Guid id, bool confirm, CancellationToken ct) => SaveAsync(id, submit: true, confirm, ct);

    private async Task<IActionResult> SaveAsync(Guid id, bool submit, bool confirm, CancellationToken ct)
    {
        if (!await LoadAsync(id, ct))
        {
            return NotFound();
        }

        // A repeated post (same form key) names the trigger the form was rendered for: the state may have moved on.
        var repeated = await commands.UsedAsync(Scope, FormKey, ct);
        var trigger = repeated && Request.Form["trigger"].ToString() is "save-draft" or "update-application" ? Request.Form["trigger"].ToString()
            : Allowed("save-draft") ? "save-draft" : Allowed("update-application") ? "update-application" : null;
        if (trigger is null)
        {
            Errors.Add(T("not.permitted"));
            return Page();
        }

        // Keep what was typed until the server accepted it: a refused post must not lose an edit.
        Posted = Request.Form.Keys.Where(k => k.StartsWith("planned_", StringComparison.Ordinal) || k.StartsWith("priority_", StringComparison.Ordinal) || k.StartsWith("local_", StringComparison.Ordinal))
            .ToDictionary(k => k, k => Request.Form[k].ToString(), StringComparer.Ordinal);
        ConfirmTicked = confirm;
        if (submit && !confirm)
        {
            Errors.Add(T("submit.confirm.missing"));
            return Page();
        }

        var rows = new JsonArray();
        var unreadable = new List<string>();
        foreach (var (action, _) in FundedActions())
        {
            var planned = FormInt($"planned_{action.Code}", RowLabel("plannedAdditionalReach", "planned", action.Code), unreadable);
            var current = FormInt($"current_{action.Code}", RowLabel("currentReach", "current.reach", action.Code), unreadable);
            var priority = FormInt($"priority_{action.Code}", RowLabel("priority", "priority", action.Code), unreadable);
            var local = FormDecimal($"local_{action.Code}", RowLabel("localContributionEur", "contribution", action.Code), unreadable);
            if (planned is null or 0)
            {
                continue;
            }

            rows.Add(new JsonObject
            {
                ["action"] = action.Code,
                ["currentReach"] = current ?? 0,
                ["plannedAdditionalReach"] = planned,
                ["priority"] = priority ?? 0,
                ["localContributionEur"] = local ?? 0m,
            });
        }

        if (unreadable.Count > 0)
        {
            // A value the form cannot read is refused, never replaced (a dropped row or EUR 0 answered "Bewaard.").
            Errors.AddRange(unreadable);
            return Page();
        }

        var stored = Dossier.Data["application"] as JsonObject;
        JsonObject application;
        if (Workflow.Definition.Runtime >= 2)
        {
            // Only what the applicant states (the schema's members); what the server derived is not sent back.
            application = new JsonObject { ["rows"] = rows };
            if (stored?["otherBonuses"] is JsonArray bonuses)
            {
                application["otherBonuses"] = bonuses.DeepClone();
            }
        }
        else
        {
            application = stored?.DeepClone() as JsonObject ?? [];
            application["rows"] = rows;
        }

        if (await TryAsync(() => commands.FireAsync(Scope, id, trigger, new JsonObject { ["application"] = application }, Dossier.Version, FormKey, ct)))
        {
            Posted = null; // saved: the stored table is what was typed
            ConfirmTicked = false;
            Messages.Add(T("saved"));
            if (submit && trigger == "save-draft" && await TryAsync(() => commands.FireAsync(Scope, id, "submit", [], null, FormKey is { } key ? key + SubmitKeySuffix : null, ct)))
            {
                Messages.Add(TriggerLabel(Workflow, "submit") + ": " + T("done"));
            }
        }

        await LoadAsync(id, ct);
        return Page();
    }

    public async Task<IActionResult> OnPostReportAsync(Guid id, string trigger, string? motivation, CancellationToken ct)
    {
        if (!await LoadAsync(id, ct))
        {
            return NotFound();
        }

        if (trigger is not ("report-interim" or "report-final"))
        {
            return BadRequest();
        }

        var realised = new JsonObject();
        var unreadable = new List<string>();
        foreach (var row in (Dossier.Data["application"] as JsonObject)?["rows"] as JsonArray ?? [])
        {
            var code = Str((JsonObject)row!, "action");
            realised[code] = FormInt($"realised_{code}", $"{T("realised")} {code}", unreadable) ?? 0;
        }

        if (unreadable.Count > 0)
        {
            Errors.AddRange(unreadable);
            return Page();
        }

        var args = new JsonObject { ["realised"] = realised };
        if (trigger == "report-final" && !string.IsNullOrWhiteSpace(motivation))
        {
            args["motivation"] = motivation;
        }

        await FireAndReloadAsync(id, trigger, args, ct);
        return Page();
    }

    public async Task<IActionResult> OnPostEligibilityAsync(Guid id, bool eligible, string? comment, CancellationToken ct)
    {
        if (!await LoadAsync(id, ct))
        {
            return NotFound();
        }

        if (!Allowed(eligible ? "declare-eligible" : "declare-ineligible") && !await commands.UsedAsync(Scope, FormKey, ct))
        {
            // Not an application of a programme (or not in review): the service would find no programme and fail.
            Errors.Add(T("not.permitted"));
            return Page();
        }

        var decision = string.IsNullOrWhiteSpace(comment) ? new JsonObject() : new JsonObject { ["comment"] = comment };
        if (await TryAsync(() => commands.FireAsync(Scope, id, eligible ? "declare-eligible" : "declare-ineligible", decision, Dossier.Version, FormKey, ct)))
        {
            Messages.Add(T(eligible ? "eligible" : "ineligible") + ": " + T("done"));
        }

        await LoadAsync(id, ct);
        return Page();
    }

    public async Task<IActionResult> OnPostFireAsync(Guid id, string trigger, CancellationToken ct)
    {
        if (!await LoadAsync(id, ct))
        {
            return NotFound();
        }

        var option = GenericOptions.FirstOrDefault(o => o.Trigger == trigger);
        var def = Workflow.Definition.FindTrigger(trigger);
        if (def is null || Dedicated.Contains(trigger))
        {
            return BadRequest();
        }

        var args = new JsonObject();
        foreach (var p in def.Parameters)
        {
            var raw = Request.Form[$"p_{p.Name}"].ToString();
            if (p.Type == "bool")
            {
                args[p.Name] = raw is "true" or "on";
                continue;
            }

            if (string.IsNullOrWhiteSpace(raw))
            {
                continue;
            }

            // Dates are typed as day/month/year in text fields, whatever the browser's locale, and sent as ISO.
            if (p.Type == "date")
            {
                if (Ui.DateInput.TryParseDate(raw, out var date))
                {
                    args[p.Name] = date.ToString();
                }
                else
                {
                    Errors.Add(BadDate(ParameterLabel(p)));
                }

                continue;
            }

            if (p.Type == "datetime")
            {
                if (Ui.DateInput.TryParseDateTime(raw, out var at))
                {
                    args[p.Name] = TimeZoneInfo.ConvertTime(at, Workflows.Calendar.BrusselsDate.Zone).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
                }
                else
                {
                    Errors.Add(BadDate(ParameterLabel(p), withTime: true));
                }

                continue;
            }

            args[p.Name] = p.Type switch
            {
                "int" when long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
                "decimal" when decimal.TryParse(raw.Replace(',', '.'), NumberStyles.Number, CultureInfo.InvariantCulture, out var m) => m,
                _ => raw,
            };
        }

        var comment = Request.Form["comment"].ToString();
        if (!string.IsNullOrWhiteSpace(comment))
        {
            args["comment"] = comment;
        }

        // Every typed value stays in the form until the service accepted it.
        TypedTrigger = trigger;
        Typed = def.Parameters.Select(p => "p_" + p.Name).Append("comment")
            .ToDictionary(k => k, k => Request.Form[k].ToString(), StringComparer.Ordinal);
        if (Errors.Count > 0)
        {
            return Page();
        }

        _ = option; // a refused trigger still goes to the runtime, which explains why
        if (await FireAndReloadAsync(id, trigger, args, ct))
        {
            Typed = null;
            TypedTrigger = null;
        }

        return Page();
    }

    public async Task<IActionResult> OnPostPreviewAsync(Guid id, CancellationToken ct)
    {
        if (!await LoadAsync(id, ct) || !IsCall)
        {
            return NotFound();
        }

        if (!Scope.SeesEverything || !Scope.MayWrite)
        {
            return Forbid();
        }

        Preview = (await service.PreviewAllocationAsync(id, ct)).Result;
        return Page();
    }

    public async Task<IActionResult> OnPostConfirmAsync(Guid id, CancellationToken ct)
    {
        if (!await LoadAsync(id, ct) || !IsCall)
        {
            return NotFound();
        }

        if (!Scope.SeesEverything || !Scope.MayWrite)
        {
            return Forbid();
        }

        if (await TryAsync(() => service.ConfirmAllocationAsync(id, Scope.Actor, ct)))
        {
            Messages.Add(T("confirm.allocation") + ": " + T("done"));
        }

        await LoadAsync(id, ct);
        return Page();
    }

    public async Task<IActionResult> OnPostAwardAllAsync(Guid id, CancellationToken ct)
    {
        if (!await LoadAsync(id, ct) || !IsCall)
        {
            return NotFound();
        }

        if (!Scope.SeesEverything || !Scope.MayWrite)
        {
            return Forbid();
        }

        var outcomes = await service.AwardAllocatedAsync(id, Scope.Actor, ct);
        foreach (var refused in outcomes.Where(o => o.Error is not null))
        {
            Explain(refused.Error!);
        }

        var awarded = outcomes.Count(o => o.Awarded);
        // A second post (a double click, the back button) finds nothing left in "allocated": say so, not "0 awarded".
        Messages.Add(outcomes.Count == 0 ? T("awarded.none") : $"{awarded} {T(awarded == 1 ? "awarded.one" : "awarded.n")}");
        await LoadAsync(id, ct);
        return Page();
    }

    /// <summary>The submit that follows a save in one post has its own key: the form's key with this suffix.</summary>
    private const string SubmitKeySuffix = "/submit";

    private async Task<bool> FireAndReloadAsync(Guid id, string trigger, JsonObject args, CancellationToken ct)
    {
        var done = await TryAsync(() => commands.FireAsync(Scope, id, trigger, args, Dossier.Version, FormKey, ct));
        if (done)
        {
            Messages.Add(TriggerLabel(Workflow, trigger) + ": " + T("done"));
        }

        await LoadAsync(id, ct);
        return done;
    }

    private async Task<bool> TryAsync<TResult>(Func<Task<TResult>> command)
    {
        if (!Scope.MayWrite)
        {
            Errors.Add(T("no.rights"));
            return false;
        }

        try
        {
            await command();
            return true;
        }
        catch (WorkflowException e)
        {
            Explain(e);
            return false;
        }
    }

    /// <summary>
    /// A whole number typed in <paramref name="name"/>: null when the field is empty or absent; a value that is not a
    /// whole number (4.5, 1e2, too large) adds a sentence naming <paramref name="label"/> to <paramref name="unreadable"/>.
    /// </summary>
    private int? FormInt(string name, string label, List<string> unreadable)
    {
        var text = Request.Form[name].ToString().Trim();
        if (text.Length == 0)
        {
            return null;
        }

        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
        {
            return n;
        }

        unreadable.Add(string.Format(CultureInfo.InvariantCulture, T("form.not.whole"), label, Shown(text)));
        return null;
    }

    /// <summary>An amount typed in <paramref name="name"/> (1234.56 or 1234,56); anything else is refused as in <see cref="FormInt"/>.</summary>
    private decimal? FormDecimal(string name, string label, List<string> unreadable)
    {
        var text = Request.Form[name].ToString().Trim();
        if (text.Length == 0)
        {
            return null;
        }

        if (decimal.TryParse(text.Replace(',', '.'), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n))
        {
            return n;
        }

        unreadable.Add(string.Format(CultureInfo.InvariantCulture, T("form.not.amount"), label, Shown(text)));
        return null;
    }

    /// <summary>A typed value as a refusal quotes it: at most 20 characters, control and bidirectional characters dropped.</summary>
    private static string Shown(string text)
    {
        var kept = new string(text.Where(c => !char.IsControl(c) && !Workflows.Schema.TextRules.IsBidiControl(c) && c is not ('\u2028' or '\u2029')).ToArray());
        return kept.Length <= 20 ? kept : kept[..20] + "…";
    }

    /// <summary>The label of a member of the application table's rows (from the definition's schema) and the action it is typed for.</summary>
    private string RowLabel(string member, string textKey, string action) =>
        (SchemaInputs.RowMember(Workflow, member) is { } p ? ParameterLabel(p) : T(textKey)) + " " + action;

    private async Task<bool> LoadAsync(Guid id, CancellationToken ct)
    {
        var dossier = await queries.GetAsync(Scope, id, ct);
        if (dossier is null)
        {
            return false;
        }

        Dossier = dossier;
        Workflow = catalog.Get(dossier.WorkflowId, dossier.WorkflowVersion);
        Options = await runtime.GetOptionsAsync(id, Scope.Actor, ct);
        Journal = await queries.JournalAsync(Scope, id, ct) ?? [];
        Notices = await queries.NoticesAsync(Scope, id, ct) ?? [];
        Deadlines = await queries.DeadlinesAsync(Scope, id, ct) ?? [];
        var programme = Str(dossier.Data, "programme");
        var callId = Str(dossier.Data, "call.id");
        Call = programmes.TryGetCall(programme, callId, out var call) ? call : null;
        MayReview = (await authorization.AuthorizeAsync(User, Policies.Review)).Succeeded;
        if (IsCall)
        {
            CallApplications = (await queries.ListAsync(Scope, new DossierFilter { Workflow = ProgrammeService.DossierWorkflow(programme), Parent = id.ToString("D") }, 1, 1000, ct)).Items;
        }

        return true;
    }
}
