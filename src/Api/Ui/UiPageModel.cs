using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.RazorPages;
using SubsidyEngine.Api.Auth;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Templates;
using SubsidyEngine.Workflows.Compilation;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Api.Ui;

/// <summary>What every screen needs: the caller's scope, the language (cookie <c>lang</c>), strings and formatting.</summary>
public abstract class UiPageModel : PageModel
{
    public const string LangCookie = "lang";

    public string Lang => Request.Cookies[LangCookie] == "en" ? "en" : "nl";

    public AccessScope Scope => User.Scope();

    public string T(string key) => Text.Get(key, Lang);

    /// <summary>
    /// The idempotency key of the posted form (<see cref="IdempotencyKeyTagHelper"/>), null when the post has none;
    /// handlers pass it to the command path, which checks it with the same rule as the REST header.
    /// </summary>
    public string? FormKey => Request.HasFormContentType && Request.Form.TryGetValue(IdempotencyKeyTagHelper.Field, out var key) && key.Count > 0 ? key.ToString() : null;

    /// <summary>Messages shown above the page (after a command), and reasons of a refused command.</summary>
    public List<string> Messages { get; } = [];

    public List<string> Errors { get; } = [];

    /// <summary>
    /// A post that names no handler of the page (a form sent without its button's <c>?handler=</c>) is a bad request:
    /// without this the page rendered without its data loaded and answered 500.
    /// </summary>
    public override void OnPageHandlerExecuting(Microsoft.AspNetCore.Mvc.Filters.PageHandlerExecutingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.HandlerMethod is null && !HttpMethods.IsGet(Request.Method) && !HttpMethods.IsHead(Request.Method))
        {
            context.Result = BadRequest();
        }
    }

    public string StateLabel(CompiledWorkflow wf, string state) => wf.Definition.FindState(state)?.Label?.For(Lang) ?? state;

    public string TriggerLabel(CompiledWorkflow wf, string trigger) => wf.Definition.FindTrigger(trigger)?.Label?.For(Lang) ?? trigger;

    /// <summary>A trigger parameter's label: from the definition, else from <see cref="Text"/> (<c>param.NAME</c>), else its name.</summary>
    public string ParameterLabel(Workflows.Model.ParameterDefinition p) => p.Label?.For(Lang) ?? (Text.Has("param." + p.Name) ? T("param." + p.Name) : p.Name);

    public static string Money(decimal amount) => NlBeFormat.Money(amount);

    /// <summary>A number in the page's language: <c>33.848</c> (Dutch), <c>33,848</c> (English).</summary>
    public string Num(decimal value) => Lang == "en"
        ? value.ToString(decimal.Truncate(value) == value ? "#,##0" : "#,##0.##", CultureInfo.InvariantCulture)
        : NlBeFormat.Number(value);

    /// <summary>An amount in euro in the page's language: <c>€ 1.234,56</c> (Dutch), <c>€ 1,234.56</c> (English).</summary>
    public string Eur(decimal amount) => Lang == "en"
        ? "€ " + Math.Round(amount, 2, MidpointRounding.AwayFromZero).ToString("#,##0.00", CultureInfo.InvariantCulture)
        : NlBeFormat.Money(amount);

    /// <summary>An instant in Belgian time in the page's language ("7 december 2026 om 05:14", "7 December 2026 at 05:14").</summary>
    public string When(DateTimeOffset at) => PageDates.DateTime(at, Lang);

    /// <summary>A calendar date in the page's language ("28 december 2026", "28 December 2026").</summary>
    public string Day(DateOnly date) => PageDates.Date(date, Lang);

    /// <summary>The values typed in a refused form post, by field name, and the trigger of that form (kept so no typed value is lost).</summary>
    public Dictionary<string, string>? Typed { get; protected set; }

    /// <summary>The trigger whose generated form was refused (<see cref="Typed"/> belongs to it).</summary>
    public string? TypedTrigger { get; protected set; }

    /// <summary>A value typed in the refused form of <paramref name="trigger"/>, else null.</summary>
    public string? TypedValue(string trigger, string field) =>
        TypedTrigger == trigger && Typed is not null && Typed.TryGetValue(field, out var v) ? v : null;

    /// <summary>"{field}: give a valid date like 28/12/2026 (day/month/year)." in the page's language.</summary>
    public string BadDate(string fieldLabel, bool withTime = false) =>
        string.Format(CultureInfo.InvariantCulture, T(withTime ? "datetime.invalid" : "date.invalid"), fieldLabel);

    /// <summary>
    /// A dossier's title in the page's language. The stored title is Dutch ("Plan Samenleven - oproep projectjaar 2
    /// (2023-2024) - Genk": the call's name, then the applicant); on an English page the call's Dutch name at its
    /// start is replaced by the call's English name from the programme data.
    /// </summary>
    public string DossierTitle(JsonObject data)
    {
        var stored = Str(data, "title");
        if (Lang != "en" || stored.Length == 0 || HttpContext?.RequestServices.GetService(typeof(Engine.Programmes.ProgrammeCatalog)) is not Engine.Programmes.ProgrammeCatalog catalog)
        {
            return stored;
        }

        var call = catalog.Programmes.SelectMany(p => p.Calls)
            .Where(c => c.Name.Nl.Length > 0 && stored.StartsWith(c.Name.Nl, StringComparison.Ordinal))
            .MaxBy(c => c.Name.Nl.Length);
        return call is null ? stored : call.Name.En + stored[call.Name.Nl.Length..];
    }

    /// <summary>
    /// A deadline's status in the page's language; an open deadline whose due time has passed reads "verstreken" /
    /// "overdue", not "loopt" / "running" (a report deadline has no timeout: it stays open when the report is late).
    /// </summary>
    public string DeadlineStatus(string status, DateTimeOffset due) =>
        status == "open" && due <= (HttpContext?.RequestServices.GetService(typeof(TimeProvider)) as TimeProvider ?? TimeProvider.System).GetUtcNow()
            ? T("overdue")
            : Labels.DeadlineStatus(status, Lang);

    public static string Str(JsonObject data, string path) => Engine.Programmes.ProgrammeGuards.Str(data, path) ?? string.Empty;

    public static decimal Dec(JsonNode? node, string path) => Engine.Programmes.ProgrammeGuards.Dec(node, path);

    /// <summary>Turns a refused or invalid command into readable lines in the page's language.</summary>
    public void Explain(Exception e)
    {
        switch (e)
        {
            case TriggerNotPermittedException t:
                var reasons = t.Blocked.Where(b => b.Trigger == t.Trigger).SelectMany(b => b.Reasons).Select(r => r.Text(Lang)).ToList();
                Errors.Add(T("not.permitted") + (reasons.Count == 0 ? "." : ":"));
                Errors.AddRange(reasons);
                break;
            case ArgumentValidationException a:
                // Dutch reasons carry the field's label; the English ones name the member.
                Errors.AddRange(a.Errors.Select(f => Lang == "nl" && f.Nl is { } nl ? nl : $"{(f.Field.StartsWith("$.", StringComparison.Ordinal) ? f.Field[2..] : f.Field)}: {f.Message}"));
                break;
            case TransitionForbiddenException:
                Errors.Add(T("no.rights"));
                break;
            case IdempotencyConflictException:
                Errors.Add(T("form.reused"));
                break;
            case ConcurrencyConflictException:
                Errors.Add(T("changed.meanwhile"));
                break;
            default:
                Errors.Add(e.Message);
                break;
        }
    }

    public static string Invariant(decimal d) => d.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Model of the shared partial <c>_TransitionForms</c>: the generic transition forms of one dossier.</summary>
/// <param name="DossierId">The dossier the forms fire on.</param>
/// <param name="Workflow">Its definition (labels).</param>
/// <param name="Options">The options to render (see <c>DossierModel.Generic</c>).</param>
/// <param name="Page">The page (language, strings).</param>
/// <param name="IdPrefix">Prefix of the field ids, so several dossiers' forms can share one page.</param>
public sealed record TransitionForms(Guid DossierId, CompiledWorkflow Workflow, IReadOnlyList<TriggerOption> Options, UiPageModel Page, string IdPrefix);
