using System.Globalization;
using System.Text.Json.Nodes;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;
using Scriban.Syntax;
using SubsidyEngine.Templates.Internal;

namespace SubsidyEngine.Templates;

/// <summary>A rendered letter: subject line, canonical HTML, plain text and the hash of the HTML.</summary>
/// <param name="TemplateId">The template id, e.g. <c>award-decision</c>.</param>
/// <param name="TemplateVersion">The template version used.</param>
/// <param name="Subject">The subject line (plain text, one line).</param>
/// <param name="Html">The complete HTML document in canonical form (see <see cref="Canonical.Html"/>).</param>
/// <param name="Text">The plain-text version, derived from <paramref name="Html"/> by <see cref="HtmlText"/>.</param>
/// <param name="HtmlSha256">Lower-case hex SHA-256 of the UTF-8 bytes of <paramref name="Html"/>.</param>
public sealed record RenderedLetter(string TemplateId, int TemplateVersion, string Subject, string Html, string Text, string HtmlSha256);

/// <summary>Limits of one render. The defaults fit every letter with a wide margin.</summary>
public sealed record LetterRenderOptions
{
    /// <summary>Maximum iterations of one loop (Scriban <c>LoopLimit</c>).</summary>
    public int LoopLimit { get; init; } = 1_000;

    /// <summary>Maximum call depth of template functions and includes (Scriban <c>RecursiveLimit</c>).</summary>
    public int RecursiveLimit { get; init; } = 20;

    /// <summary>Maximum characters of output per template render; exceeding it is an error, never a cut-off letter.</summary>
    public int OutputLimit { get; init; } = 500_000;
}

/// <summary>
/// Renders letters from the catalogue with a JSON model, in a restricted Scriban context: strict variables and
/// member access (a missing model field is an error), loop, recursion and output limits (exceeding one throws),
/// only our curated builtins and embedded partials, and every written value HTML-escaped automatically.
/// Thread-safe: each render has its own context (contexts are pooled and reused, see <see cref="RentContext"/>).
/// </summary>
public sealed class LetterRenderer
{
    private static readonly ScriptObject Builtins = LetterFunctions.CreateBuiltins();
    private readonly LetterCatalog _catalog;
    private readonly LetterRenderOptions _options;
    private readonly PartialLoader _loader;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Template> _layouts = new(StringComparer.Ordinal);
    private readonly Func<string, Template> _parseLayout;
    private readonly Stack<EscapingTemplateContext> _pool = new();
    private static readonly int MaxPooledContexts = Math.Max(4, Environment.ProcessorCount * 2);

    /// <summary>Creates a renderer over a catalogue (default: the embedded one).</summary>
    public LetterRenderer(LetterCatalog? catalog = null, LetterRenderOptions? options = null)
    {
        _catalog = catalog ?? LetterCatalog.Default;
        _options = options ?? new LetterRenderOptions();
        _loader = new PartialLoader(_catalog);
        _parseLayout = ParseLayout;
    }

    /// <summary>Renders version <paramref name="version"/> of letter <paramref name="templateId"/>.</summary>
    /// <exception cref="LetterTemplateNotFoundException">No such template version.</exception>
    /// <exception cref="LetterRenderException">The model does not fit the template (missing field, bad value) or a limit was hit.</exception>
    public RenderedLetter Render(string templateId, int version, JsonObject model) =>
        Render(_catalog.Get(templateId, version), model);

    /// <summary>Renders the latest version of a letter; the result names the version used (record it).</summary>
    public RenderedLetter RenderLatest(string templateId, JsonObject model) =>
        Render(_catalog.Latest(templateId), model);

    /// <summary>Renders a template from the catalogue.</summary>
    public RenderedLetter Render(LetterTemplate template, JsonObject model)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(model);
        CheckReservedNames(template, model);

        var context = RentContext();
        var reusable = false;
        try
        {
            var modelObject = ModelConverter.ToScriptObject(model);
            var letterGlobals = new ScriptObject();
            Prepare(context, modelObject, letterGlobals, template);

            // Subject first, unescaped: it is plain text (a mail header), escaped when the layout writes it into the
            // HTML. Whatever the front matter writes is discarded with its own output.
            if (template.Parsed.Page?.FrontMatter is { } frontMatter)
            {
                context.Escape = false;
                context.PushOutput();
                try
                {
                    context.Evaluate(frontMatter);
                }
                finally
                {
                    context.PopOutput();
                    context.Escape = true;
                    context.ResetPreviousNewLine();
                }
            }

            var subject = letterGlobals["subject"] as string
                ?? throw new LetterRenderException(template.Id, template.Version, "the front matter sets no `subject` text");
            subject = string.Join(' ', subject.Split([' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries));
            letterGlobals["subject"] = subject;

            var body = RenderChecked(template.Parsed, context);
            letterGlobals["content"] = new SafeHtml(body);
            var layout = _layouts.GetOrAdd(template.Layout, _parseLayout);
            var rendered = RenderChecked(layout, context);
            reusable = true;
            var document = Canonical.Html(rendered);
            var text = HtmlText.ToPlainText(document);
            return new RenderedLetter(template.Id, template.Version, subject, document, text, Canonical.Sha256(document));
        }
        catch (ScriptRuntimeException e)
        {
            throw new LetterRenderException(template.Id, template.Version, Describe(e, template), e);
        }
        catch (FormatException e)
        {
            throw new LetterRenderException(template.Id, template.Version, e.Message, e);
        }
        finally
        {
            // A context goes back to the pool only after a render that completed: one that threw may have stopped
            // halfway through a loop, an include or a function call, and is dropped with whatever state it holds.
            if (reusable)
            {
                ReturnContext(context);
            }
        }
    }

    private static void CheckReservedNames(LetterTemplate template, JsonObject model)
    {
        List<string>? reserved = null;
        foreach (var (key, _) in model)
        {
            if (LetterFunctions.ReservedNames.Contains(key))
            {
                (reserved ??= []).Add(key);
            }
        }

        if (reserved is not null)
        {
            throw new LetterRenderException(template.Id, template.Version, $"the model uses reserved top-level name(s): {string.Join(", ", reserved)}");
        }
    }

    private IReadOnlyList<(string Path, Template Parsed)>? _parsedPartials;

    private IReadOnlyList<(string Path, Template Parsed)> ParsedPartials() => _parsedPartials ??= _catalog.Partials
        .Select(p => ("partial:" + p.Name, Template.Parse(p.SourceText, "partial:" + p.Name)))
        .Where(p => !p.Item2.HasErrors)
        .ToList();

    private Template ParseLayout(string name)
    {
        var layout = Template.Parse(_catalog.GetPartial(name).SourceText, "partial:" + name);
        return layout.HasErrors
            ? throw new InvalidOperationException($"Layout '{name}' does not parse: {string.Join("; ", layout.Messages)}")
            : layout;
    }

    private string RenderChecked(Template template, TemplateContext context)
    {
        var output = template.Render(context);

        // OnOutputLimit = Throw already stops the render; this guards against a Scriban change that would
        // truncate silently again.
        if (output.Length >= _options.OutputLimit)
        {
            throw new ScriptRuntimeException(default, $"the output reached OutputLimit ({_options.OutputLimit} characters) and may be truncated");
        }

        return output;
    }

    /// <summary>
    /// A context from the pool, or a new one. Building a Scriban context is not cheap (among other things it
    /// preallocates 65 argument arrays, about 18 KB), so contexts are reused: one per concurrently rendering thread.
    /// </summary>
    private EscapingTemplateContext RentContext()
    {
        lock (_pool)
        {
            if (_pool.Count > 0)
            {
                return _pool.Pop();
            }
        }

        return new EscapingTemplateContext(Builtins)
        {
            StrictVariables = true,
            EnableRelaxedMemberAccess = false,
            EnableRelaxedIndexerAccess = false,
            EnableRelaxedTargetAccess = false,
            EnableRelaxedFunctionAccess = false,
            LoopLimit = _options.LoopLimit,
            LoopLimitQueryable = _options.LoopLimit,
            RecursiveLimit = _options.RecursiveLimit,
            OutputLimit = _options.OutputLimit,
            OnOutputLimit = ScriptLimitBehavior.Throw,
            LimitToString = _options.OutputLimit,
            TemplateLoader = _loader,
            NewLine = "\n",
            MemberRenamer = member => member.Name,
        };
    }

    private void ReturnContext(EscapingTemplateContext context)
    {
        lock (_pool)
        {
            if (_pool.Count < MaxPooledContexts)
            {
                _pool.Push(context);
            }
        }
    }

    /// <summary>
    /// Brings a new or pooled context to the state of a fresh one for this letter: Scriban's own
    /// <see cref="TemplateContext.Reset"/> (outputs, globals, cultures, source files, cached templates, the output
    /// limit count), then the shared parsed partials, the culture, the model and the letter's own globals.
    /// </summary>
    private void Prepare(EscapingTemplateContext context, ScriptObject model, ScriptObject letterGlobals, LetterTemplate template)
    {
        context.Reset();
        context.ResetPreviousNewLine();
        context.Escape = true;

        // Partials are parsed once per renderer and shared (a parsed template is immutable); without this every
        // render would parse every included partial again.
        foreach (var (path, parsed) in ParsedPartials())
        {
            context.CachedTemplates[path] = parsed;
        }

        context.PushCulture(CultureInfo.InvariantCulture);
        context.PushGlobal(model);
        context.PushGlobal(letterGlobals);
        context.PushSourceFile(template.Name + ".sbn");
    }

    private static string Describe(ScriptRuntimeException e, LetterTemplate template)
    {
        var message = e.Message;
        var span = e.Span;
        if (span.FileName is { Length: > 0 } file && span.Start.Line >= 0)
        {
            var source = file == template.Name + ".sbn"
                ? template.SourceText
                : template.Dependencies.FirstOrDefault(d => d.Name + ".sbn" == file || "partial:" + d.Name == file)?.SourceText;
            var lines = source?.Split('\n');
            if (lines is not null && span.Start.Line < lines.Length)
            {
                message += $" [at {file} line {span.Start.Line + 1}: {lines[span.Start.Line].Trim()}]";
            }
        }

        return message;
    }
}

/// <summary>A letter could not be rendered: the message names the template, the version and the cause (for a missing
/// model field: the variable or member and the template line).</summary>
public sealed class LetterRenderException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LetterRenderException(string templateId, int templateVersion, string reason, Exception? inner = null)
        : base($"Letter '{templateId}' v{templateVersion} cannot be rendered: {reason}", inner)
    {
        TemplateId = templateId;
        TemplateVersion = templateVersion;
    }

    /// <summary>The template id.</summary>
    public string TemplateId { get; }

    /// <summary>The template version.</summary>
    public int TemplateVersion { get; }
}
