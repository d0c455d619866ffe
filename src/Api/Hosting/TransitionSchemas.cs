using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Model;
using SubsidyEngine.Workflows.Schema;

namespace SubsidyEngine.Api.Hosting;

/// <summary>
/// Publishes the argument schemas of the workflow definitions in the OpenAPI document (decision record
/// docs/decisions/2026-12-07-transition-body-schemas.md): one component schema per workflow, version and trigger
/// (<c>transition.plan-samenleven.dossier.v4.save-draft</c>) and per workflow version's creation
/// (<c>creation.plan-samenleven.dossier.v4</c>), generated from the <see cref="ParameterDefinition"/>s the runtime
/// validates with (<see cref="ArgumentSchema"/>), and one documented operation per trigger
/// (<c>POST /api/dossiers/{id}/transitions/save-draft</c>) whose body is <c>anyOf</c> the versions that define it.
/// The dossier's <c>workflow</c> and <c>workflowVersion</c> say which one applies.
/// </summary>
internal static class TransitionSchemas
{
    public const string FirePath = "/api/dossiers/{id}/transitions/{trigger}";

    /// <summary>Characters a one-line string may not hold (control characters, the line and paragraph separators, bidirectional controls), as <see cref="TextRules"/> refuses them.</summary>
    private const string UnsafeOneLine = @"\u0000-\u001F\u007F-\u009F\u2028\u2029\u200E\u200F\u202A-\u202E\u2066-\u2069\u061C";

    /// <summary>The same for multi-line text: tab, line feed and carriage return allowed.</summary>
    private const string UnsafeText = @"\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200E\u200F\u202A-\u202E\u2066-\u2069\u061C";

    public static string TransitionComponent(string workflowId, int version, string trigger) =>
        $"transition.{workflowId.Replace('/', '.')}.v{version.ToString(CultureInfo.InvariantCulture)}.{trigger}";

    public static string CreationComponent(string workflowId, int version) =>
        $"creation.{workflowId.Replace('/', '.')}.v{version.ToString(CultureInfo.InvariantCulture)}";

    public static string OperationId(string trigger) =>
        "Fire" + string.Concat(trigger.Split('-', '_', '.').Where(p => p.Length > 0).Select(p => char.ToUpperInvariant(p[0]) + p[1..]));

    /// <summary>Adds the component schemas and the per-trigger operations (a document transformer).</summary>
    public static void Apply(OpenApiDocument document, IServiceProvider services)
    {
        var catalog = services.GetRequiredService<WorkflowCatalog>();
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal);
        var byTrigger = new SortedDictionary<string, List<(WorkflowDefinition Definition, TriggerDefinition Trigger)>>(StringComparer.Ordinal);
        foreach (var definition in catalog.All.Select(c => c.Definition))
        {
            if (definition.Creation is { } creation)
            {
                document.Components.Schemas[CreationComponent(definition.Id, definition.Version)] = CreationSchema(definition, creation);
            }

            foreach (var trigger in definition.Triggers)
            {
                if (trigger.Automatic)
                {
                    continue; // fired by the deadline sweep only: no client body to describe
                }

                document.Components.Schemas[TransitionComponent(definition.Id, definition.Version, trigger.Id)] = BodySchema(definition, trigger);
                if (!byTrigger.TryGetValue(trigger.Id, out var list))
                {
                    byTrigger[trigger.Id] = list = [];
                }

                list.Add((definition, trigger));
            }
        }

        if (document.Paths?.TryGetValue(FirePath, out var genericItem) != true || genericItem?.Operations?.TryGetValue(HttpMethod.Post, out var generic) != true || generic is null)
        {
            return;
        }

        if (generic.RequestBody?.Content?.TryGetValue("application/json", out var genericMedia) == true && genericMedia is OpenApiMediaType media)
        {
            media.Schema = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "The trigger's arguments. Their schema depends on the trigger and on the dossier's workflow and workflowVersion: " +
                    "see the operation of each trigger (POST /api/dossiers/{id}/transitions/<trigger>) and the component schemas transition.<workflow>.v<version>.<trigger>.",
            };
        }

        foreach (var (trigger, uses) in byTrigger)
        {
            document.Paths[FirePath.Replace("{trigger}", trigger, StringComparison.Ordinal)] = new OpenApiPathItem
            {
                Operations = new Dictionary<HttpMethod, OpenApiOperation> { [HttpMethod.Post] = TriggerOperation(generic, document, trigger, uses) },
            };
        }
    }

    private static OpenApiOperation TriggerOperation(OpenApiOperation generic, OpenApiDocument document, string trigger, List<(WorkflowDefinition Definition, TriggerDefinition Trigger)> uses)
    {
        var label = uses.Select(u => u.Trigger.Label).LastOrDefault(l => l is not null);
        var description = new StringBuilder();
        description.Append(CultureInfo.InvariantCulture, $"Fires `{trigger}` (").Append(label?.Nl ?? trigger).Append(") on a dossier. ")
            .Append("The body is the schema of the dossier's workflow and workflowVersion (GET /api/dossiers/{id}); an empty body means no arguments. ")
            .Append("Arguments are checked against it before anything is decided: a bad one is 400 with its JSON path. Same headers and answers as FireTransition.\n\n");
        foreach (var (definition, _) in uses)
        {
            var from = definition.Transitions.Where(t => t.Trigger == trigger).Select(t => $"{t.From} ({string.Join(", ", t.Roles)})").Distinct(StringComparer.Ordinal);
            description.Append(CultureInfo.InvariantCulture, $"- {definition.Id} v{definition.Version}: `{TransitionComponent(definition.Id, definition.Version, trigger)}`; from {string.Join("; ", from)}\n");
        }

        var operation = new OpenApiOperation(generic)
        {
            OperationId = OperationId(trigger),
            Summary = $"Fire {trigger}" + (label?.En is { } en ? $": {en}" : string.Empty),
            Description = description.ToString(),
            Parameters = generic.Parameters?.Where(p => p.Name != "trigger").ToList(),
            RequestBody = new OpenApiRequestBody
            {
                Required = false,
                Description = "The arguments (JSON object) of the trigger for the dossier's workflow version.",
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new()
                    {
                        Schema = new OpenApiSchema
                        {
                            AnyOf = uses.Select(u => (IOpenApiSchema)new OpenApiSchemaReference(TransitionComponent(u.Definition.Id, u.Definition.Version, trigger), document)).ToList(),
                        },
                    },
                },
            },
        };
        return operation;
    }

    /// <summary>The body of one trigger of one definition version: its parameters, the comment, nothing else.</summary>
    public static OpenApiSchema BodySchema(WorkflowDefinition definition, TriggerDefinition trigger)
    {
        var transitions = definition.Transitions.Where(t => t.Trigger == trigger.Id).ToList();
        var commentAlways = transitions.Count > 0 && transitions.All(t => t.CommentRequired);
        var commentFrom = transitions.Where(t => t.CommentRequired).Select(t => t.From).Distinct(StringComparer.Ordinal).ToList();
        var schema = ObjectOf(trigger.Parameters, Text(trigger.Label), new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"{definition.Id} v{definition.Version}, trigger {trigger.Id}. ")
            .Append("Bij een onbekend of ongeldig gegeven: 400 met het JSON-pad. / An unknown or invalid member: 400 naming its JSON path.")
            .ToString());
        schema.Properties![ArgumentSchema.CommentField] = new OpenApiSchema
        {
            Type = JsonSchemaType.String,
            MaxLength = ArgumentSchema.MaxCommentLength,
            Pattern = $"^[^{UnsafeText}]*$",
            Title = "Motivering / Comment",
            Description = commentAlways
                ? "Verplicht: de motivering van deze handeling (journaal). / Required: the reason for this transition (journaled)."
                : commentFrom.Count > 0
                    ? $"Verplicht vanuit {string.Join(", ", commentFrom)}, anders vrij. / Required when fired from {string.Join(", ", commentFrom)}, optional otherwise."
                    : "Vrije motivering (journaal). / An optional comment (journaled).",
        };
        if (commentAlways)
        {
            schema.Required!.Add(ArgumentSchema.CommentField);
        }

        return schema;
    }

    /// <summary>The arguments of starting a dossier on one definition version (the <c>data</c> of CreateDossier).</summary>
    public static OpenApiSchema CreationSchema(WorkflowDefinition definition, CreationDefinition creation) =>
        ObjectOf(creation.Parameters, Text(definition.Title), $"{definition.Id} v{definition.Version}: the data of POST /api/dossiers (creation roles: {string.Join(", ", creation.Roles)}).");

    private static OpenApiSchema ObjectOf(IReadOnlyList<ParameterDefinition> parameters, string? title, string description)
    {
        var schema = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Title = title,
            Description = description,
            Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal),
            Required = new HashSet<string>(StringComparer.Ordinal),
            AdditionalPropertiesAllowed = false,
        };
        foreach (var p in parameters)
        {
            schema.Properties[p.Name] = Of(p);
            if (p.Required)
            {
                schema.Required.Add(p.Name);
            }
        }

        return schema;
    }

    /// <summary>The JSON Schema of one value, with every constraint <see cref="ArgumentSchema.Check"/> applies that JSON Schema can say.</summary>
    public static OpenApiSchema Of(ParameterDefinition p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var notes = new List<string>();
        var schema = new OpenApiSchema { Title = Text(p.Label) };
        switch (p.Type)
        {
            case "string" or "text":
                schema.Type = JsonSchemaType.String;
                schema.MaxLength = p.MaxLength ?? (p.Type == "string" ? ArgumentSchema.DefaultStringLength : ArgumentSchema.DefaultTextLength);
                schema.MinLength = p.MinLength ?? (p.Required ? 1 : null);
                if (p.Values is { Count: > 0 } values)
                {
                    schema.Enum = values.Select(v => (JsonNode)JsonValue.Create(v)).ToList();
                }
                else if (p.Format is { } format)
                {
                    schema.Format = format;
                    schema.Pattern = format switch
                    {
                        "email" => ArgumentSchema.EmailPattern,
                        "authority" => ArgumentSchema.AuthorityPattern,
                        "phone" => ArgumentSchema.PhonePattern,
                        "code" => ArgumentSchema.CodePattern,
                        "iban" => "^[A-Za-z]{2}[0-9]{2}[A-Za-z0-9 ]{11,40}$",
                        _ => null,
                    };
                    notes.Add(format switch
                    {
                        "email" => "Eén e-mailadres (geen lijst, naam of commentaar). / One e-mail address (no list, display name or comment).",
                        "authority" => "De code van een bestuur, een NIS-code zoals 71016. / An authority code, a NIS code like 71016.",
                        "iban" => "Een IBAN met juiste controlecijfers (mod 97); spaties toegelaten. / An IBAN with valid check digits (mod 97); spaces allowed.",
                        "phone" => "Een telefoonnummer, zoals +32 89 65 44 11. / A telephone number, like +32 89 65 44 11.",
                        "code" => "Een korte code: letters, cijfers, punt, streepje. / A short code: letters, digits, dot, dash.",
                        _ => format,
                    });
                }
                else
                {
                    var unsafeChars = p.Type == "text" ? UnsafeText : UnsafeOneLine;
                    schema.Pattern = p.Required ? $@"^(?=[\s\S]*\S)[^{unsafeChars}]*$" : $"^[^{unsafeChars}]*$";
                    notes.Add(p.Type == "text"
                        ? "Tekst, regeleinden toegelaten, geen stuurtekens. / Text, line breaks allowed, no control characters."
                        : "Eén regel, geen stuurtekens. / One line, no control characters.");
                }

                break;
            case "int":
                schema.Type = JsonSchemaType.Integer;
                schema.Minimum = Number(p.Min);
                schema.Maximum = Number(p.Max);
                break;
            case "decimal":
                schema.Type = JsonSchemaType.Number;
                schema.Minimum = Number(p.Min);
                schema.Maximum = Number(p.Max);
                if (p.Format == "euro")
                {
                    schema.Format = "euro";
                    schema.MultipleOf = 0.01m;
                    notes.Add("Euro, hoogstens twee cijfers na de komma. / Euros, at most two decimals.");
                }

                break;
            case "bool":
                schema.Type = JsonSchemaType.Boolean;
                break;
            case "date":
                schema.Type = JsonSchemaType.String;
                schema.Format = "date";
                notes.Add($"yyyy-MM-dd, {ArgumentSchema.MinYear}-{ArgumentSchema.MaxYear}.");
                break;
            case "datetime":
                schema.Type = JsonSchemaType.String;
                schema.Format = "date-time";
                notes.Add($"ISO 8601 met tijdzone / with offset (2025-12-31T12:00:00+01:00), {ArgumentSchema.MinYear}-{ArgumentSchema.MaxYear}.");
                break;
            case "object":
                schema.Type = JsonSchemaType.Object;
                schema.MaxProperties = p.MaxItems;
                schema.MinProperties = p.MinItems;
                if (p.Properties is not null)
                {
                    schema.Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal);
                    schema.Required = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var member in p.Properties)
                    {
                        schema.Properties[member.Name] = Of(member);
                        if (member.Required)
                        {
                            schema.Required.Add(member.Name);
                        }
                    }
                }

                if (p.Additional is { } additional)
                {
                    schema.AdditionalProperties = Of(additional);
                    schema.PropertyNames = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = 40, Pattern = $"^[^{UnsafeOneLine}]*$" };
                }
                else if (p.Properties is not null)
                {
                    schema.AdditionalPropertiesAllowed = false;
                }

                break;
            case "array":
                schema.Type = JsonSchemaType.Array;
                schema.MaxItems = p.MaxItems;
                schema.MinItems = p.MinItems;
                schema.UniqueItems = p.UniqueItems ? true : null;
                if (p.Items is { } items)
                {
                    schema.Items = Of(items);
                }

                if (p.UniqueBy is { Count: > 0 } uniqueBy)
                {
                    schema.Extensions = new Dictionary<string, IOpenApiExtension>(StringComparer.Ordinal)
                    {
                        ["x-unique-by"] = new JsonNodeExtension(new JsonArray(uniqueBy.Select(u => (JsonNode)JsonValue.Create(u)).ToArray())),
                    };
                    notes.Add($"Elke waarde van {string.Join(", ", uniqueBy)} komt hoogstens één keer voor. / Each value of {string.Join(", ", uniqueBy)} appears at most once.");
                }

                break;
        }

        var description = new List<string>();
        if (p.Description is { } d)
        {
            description.Add(d.Nl);
            if (d.En is not null)
            {
                description.Add(d.En);
            }
        }

        description.AddRange(notes);
        schema.Description = description.Count == 0 ? null : string.Join("\n\n", description);
        return schema;
    }

    private static string? Number(decimal? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static string? Text(LocalizedText? text) => text is null ? null : text.En is null || text.En == text.Nl ? text.Nl : $"{text.Nl} / {text.En}";

    public static OpenApiOptions AddTransitionSchemas(this OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, context, _) =>
        {
            Apply(document, context.ApplicationServices);
            return Task.CompletedTask;
        });
        return options;
    }
}
