using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Model;
using SubsidyEngine.Workflows.Schema;

namespace SubsidyEngine.Api.Tests;

/// <summary>
/// The service with every shipped programme (plan-samenleven, oefenkansen-nederlands) and the system workflows of
/// workflows/, without its background writers (Hangfire sweeps, notice dispatch), so a database fingerprint only
/// moves when a request writes.
/// </summary>
public class AllProgrammesFactory : ApiFactory
{
    public static readonly string[] ShippedFolders = ["plan-samenleven", "oefenkansen-nederlands", "system"];

    protected override bool WithProgrammes => true;

    protected override IReadOnlyList<string> ProgrammeFolders => ShippedFolders;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            foreach (var d in services.Where(d => d.ServiceType == typeof(IHostedService) && HostileFactory.IsBackgroundWriter(d)).ToList())
            {
                services.Remove(d);
            }
        });
    }

    /// <summary>Every shipped version that declares its argument schemas (runtime 2; the test definitions of test/ left out).</summary>
    public IReadOnlyList<WorkflowDefinition> SchemaShipped() =>
        Services.GetRequiredService<WorkflowCatalog>().All.Select(c => c.Definition)
            .Where(d => d.Runtime >= 2 && ShippedFolders.Any(f => d.Id.StartsWith(f + "/", StringComparison.Ordinal)))
            .OrderBy(d => d.Id, StringComparer.Ordinal).ThenBy(d => d.Version)
            .ToList();

    /// <summary>The latest version of every shipped workflow (the test definitions of test/ left out).</summary>
    public IReadOnlyList<WorkflowDefinition> LatestShipped() =>
        Services.GetRequiredService<WorkflowCatalog>().All.Select(c => c.Definition)
            .Where(d => ShippedFolders.Any(f => d.Id.StartsWith(f + "/", StringComparison.Ordinal)))
            .GroupBy(d => d.Id, StringComparer.Ordinal)
            .Select(g => g.MaxBy(d => d.Version)!)
            .OrderBy(d => d.Id, StringComparer.Ordinal)
            .ToList();
}

/// <summary>
/// The OpenAPI document describes every transition's body as the definition declares it: a component schema per
/// workflow, version and trigger, a documented operation per trigger, and an example built from the document
/// alone that the runtime's validator accepts.
/// </summary>
public sealed class TransitionSchemaTests(AllProgrammesFactory api) : IClassFixture<AllProgrammesFactory>
{
    private async Task<JsonNode> DocumentAsync()
    {
        using var client = api.As(null);
        var response = await client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    [Fact]
    public async Task Every_trigger_of_every_shipped_runtime_2_definition_has_a_body_schema_that_matches_its_parameters()
    {
        var doc = await DocumentAsync();
        var schemas = doc["components"]!["schemas"]!.AsObject();
        // Every version with schemas, not only the latest: plan-samenleven/dossier v4 still runs (v5 takes effect later).
        var definitions = api.SchemaShipped();
        Assert.Contains(definitions, d => d.Id == "plan-samenleven/dossier" && d.Version == 4);
        Assert.Contains(definitions, d => d.Id == "plan-samenleven/dossier" && d.Version == 5);
        Assert.Contains(definitions, d => d.Id == "oefenkansen-nederlands/dossier" && d.Version == 2);
        var checkedTriggers = 0;
        foreach (var definition in definitions)
        {
            if (definition.Creation is { } creation)
            {
                var name = $"creation.{definition.Id.Replace('/', '.')}.v{definition.Version}";
                Assert.True(schemas.ContainsKey(name), $"no component {name}");
                AssertMatches(creation.Parameters, schemas[name]!, name, schemas);
            }

            foreach (var trigger in definition.Triggers)
            {
                var name = $"transition.{definition.Id.Replace('/', '.')}.v{definition.Version}.{trigger.Id}";
                var path = $"/api/dossiers/{{id}}/transitions/{trigger.Id}";
                if (trigger.Automatic)
                {
                    // Fired by the deadline sweep only (role system): no client body to document.
                    Assert.False(schemas.ContainsKey(name), $"automatic trigger {name} documented");
                    continue;
                }

                Assert.True(schemas.ContainsKey(name), $"no component {name}");
                var body = schemas[name]!;
                AssertMatches(trigger.Parameters, body, name, schemas);
                Assert.Equal("string", body["properties"]!["comment"]!["type"]!.GetValue<string>());
                var commentAlways = definition.Transitions.Where(t => t.Trigger == trigger.Id).All(t => t.CommentRequired);
                Assert.Equal(commentAlways, Required(body).Contains("comment"));

                // The operation of the trigger: its body is anyOf the versions defining it, this one included.
                var operation = doc["paths"]![path]?["post"];
                Assert.True(operation is not null, $"no operation {path}");
                Assert.Equal("Fire" + string.Concat(trigger.Id.Split('-').Select(p => char.ToUpperInvariant(p[0]) + p[1..])), operation!["operationId"]!.GetValue<string>());
                var anyOf = operation["requestBody"]!["content"]!["application/json"]!["schema"]!["anyOf"]!.AsArray();
                Assert.Contains(anyOf, s => s!["$ref"]!.GetValue<string>() == "#/components/schemas/" + name);
                Assert.DoesNotContain(operation["parameters"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "trigger");
                Assert.Contains(operation["parameters"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "If-Match");
                Assert.NotEmpty(operation["security"]!.AsArray());
                Assert.True(operation["responses"]!.AsObject().ContainsKey("400"));

                // An example built from the document alone passes the runtime's own validator; an extra member does not.
                var example = Example(body, schemas).AsObject();
                var errors = ArgumentSchema.Validate(trigger.Parameters, WithoutComment(example), commentRequired: false);
                Assert.True(errors.Count == 0, $"{name}: the example {example.ToJsonString()} is refused: {string.Join("; ", errors.Select(e => $"{e.Path} {e.En}"))}");
                example["notAParameter"] = 1;
                Assert.Contains(ArgumentSchema.Validate(trigger.Parameters, WithoutComment(example), commentRequired: false), e => e.Path == "$.notAParameter");
                checkedTriggers++;
            }
        }

        Assert.True(checkedTriggers >= 50, $"only {checkedTriggers} triggers checked");
    }

    [Fact]
    public async Task The_save_draft_schema_spells_out_the_application_table()
    {
        var doc = await DocumentAsync();
        var body = doc["components"]!["schemas"]!["transition.plan-samenleven.dossier.v4.save-draft"]!;
        Assert.Equal(["application"], Required(body).Order().ToArray());
        var rows = body["properties"]!["application"]!["properties"]!["rows"]!;
        Assert.Equal("array", rows["type"]!.GetValue<string>());
        Assert.Equal(60, rows["maxItems"]!.GetValue<int>());
        Assert.Equal(["action", "priority"], rows["x-unique-by"]!.AsArray().Select(n => n!.GetValue<string>()).ToArray());
        var row = rows["items"]!;
        Assert.False(row["additionalProperties"]!.GetValue<bool>());
        Assert.Equal(["action", "plannedAdditionalReach", "priority"], Required(row).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal("integer", row["properties"]!["priority"]!["type"]!.GetValue<string>());
        Assert.Equal(1m, row["properties"]!["priority"]!["minimum"]!.GetValue<decimal>());
        Assert.Equal(60m, row["properties"]!["priority"]!["maximum"]!.GetValue<decimal>());
        var contribution = row["properties"]!["localContributionEur"]!;
        Assert.Equal("number", contribution["type"]!.GetValue<string>());
        Assert.Equal(0.01m, contribution["multipleOf"]!.GetValue<decimal>());
        var email = body["properties"]!["contact"]!["properties"]!["email"]!;
        Assert.Equal("email", email["format"]!.GetValue<string>());
        Assert.Equal(ArgumentSchema.EmailPattern, email["pattern"]!.GetValue<string>());
        Assert.Contains("Contactpersoon", body["properties"]!["contact"]!["title"]!.GetValue<string>());
        Assert.Contains("Contact", body["properties"]!["contact"]!["title"]!.GetValue<string>());
        Assert.Equal(ArgumentSchema.AuthorityPattern, body["properties"]!["participants"]!["items"]!["pattern"]!.GetValue<string>());
        Assert.True(body["properties"]!["participants"]!["uniqueItems"]!.GetValue<bool>());
        var realised = doc["components"]!["schemas"]!["transition.plan-samenleven.dossier.v4.report-interim"]!["properties"]!["realised"]!;
        Assert.Equal("integer", realised["additionalProperties"]!["type"]!.GetValue<string>());
        Assert.Equal(60, realised["maxProperties"]!.GetValue<int>());
        var saveDraft = doc["paths"]!["/api/dossiers/{id}/transitions/save-draft"]!["post"]!;
        var refs = saveDraft["requestBody"]!["content"]!["application/json"]!["schema"]!["anyOf"]!.AsArray().Select(r => r!["$ref"]!.GetValue<string>()).ToList();
        Assert.Contains("#/components/schemas/transition.plan-samenleven.dossier.v3.save-draft", refs);
        Assert.Contains("#/components/schemas/transition.oefenkansen-nederlands.dossier.v2.save-draft", refs);
    }

    private static JsonObject WithoutComment(JsonObject o)
    {
        var copy = (JsonObject)o.DeepClone();
        copy.Remove("comment");
        return copy;
    }

    private static HashSet<string> Required(JsonNode schema) =>
        schema["required"] is JsonArray a ? a.Select(n => n!.GetValue<string>()).ToHashSet(StringComparer.Ordinal) : [];

    private static JsonNode Resolve(JsonNode schema, JsonObject components) =>
        schema["$ref"] is { } r ? components[r.GetValue<string>()["#/components/schemas/".Length..]]! : schema;

    /// <summary>The schema says what the parameters declare: members, required ones, no others, at every depth.</summary>
    private static void AssertMatches(IReadOnlyList<ParameterDefinition> parameters, JsonNode schema, string where, JsonObject components)
    {
        schema = Resolve(schema, components);
        Assert.Equal("object", schema["type"]!.GetValue<string>());
        Assert.False(schema["additionalProperties"]!.GetValue<bool>(), $"{where}: additionalProperties");
        var properties = schema["properties"]!.AsObject();
        foreach (var p in parameters)
        {
            Assert.True(properties.ContainsKey(p.Name), $"{where}.{p.Name} missing");
            Assert.Equal(p.Required, Required(schema).Contains(p.Name));
            AssertValue(p, properties[p.Name]!, $"{where}.{p.Name}", components);
        }

        Assert.All(properties.Select(kv => kv.Key).Where(k => k != "comment"), k => Assert.Contains(parameters, p => p.Name == k));
    }

    private static void AssertValue(ParameterDefinition p, JsonNode schema, string where, JsonObject components)
    {
        schema = Resolve(schema, components);
        var type = p.Type switch
        {
            "string" or "text" or "date" or "datetime" => "string",
            "int" => "integer",
            "decimal" => "number",
            "bool" => "boolean",
            _ => p.Type,
        };
        Assert.True(type == schema["type"]?.GetValue<string>(), $"{where}: type {schema["type"]} for {p.Type}");
        if (p.Min is { } min)
        {
            Assert.Equal(min, schema["minimum"]!.GetValue<decimal>());
        }

        if (p.Max is { } max)
        {
            Assert.Equal(max, schema["maximum"]!.GetValue<decimal>());
        }

        if (p.Type is "string" or "text")
        {
            Assert.Equal(p.MaxLength ?? (p.Type == "string" ? ArgumentSchema.DefaultStringLength : ArgumentSchema.DefaultTextLength), schema["maxLength"]!.GetValue<int>());
        }

        if (p.Type == "array")
        {
            Assert.Equal(p.MaxItems, schema["maxItems"]?.GetValue<int>());
            Assert.Equal(p.UniqueItems, schema["uniqueItems"]?.GetValue<bool>() ?? false);
            if (p.Items is { } items)
            {
                AssertValue(items, schema["items"]!, where + "[]", components);
            }
        }

        if (p.Type == "object" && p.Properties is { } members)
        {
            Assert.Equal(p.Additional is null, schema["additionalProperties"] is JsonValue v && !v.GetValue<bool>());
            var properties = schema["properties"]!.AsObject();
            Assert.Equal(members.Select(m => m.Name).Order(StringComparer.Ordinal), properties.Select(kv => kv.Key).Order(StringComparer.Ordinal));
            foreach (var m in members)
            {
                Assert.Equal(m.Required, Required(schema).Contains(m.Name));
                AssertValue(m, properties[m.Name]!, $"{where}.{m.Name}", components);
            }
        }

        if (p.Type == "object" && p.Additional is { } additional)
        {
            AssertValue(additional, schema["additionalProperties"]!, where + ".*", components);
        }
    }

    /// <summary>A value an integrator would build from the schema alone: every member, the smallest value each constraint allows.</summary>
    public static JsonNode Example(JsonNode schema, JsonObject components)
    {
        schema = Resolve(schema, components);
        if (schema["enum"] is JsonArray values)
        {
            return values[0]!.DeepClone();
        }

        switch (schema["type"]?.GetValue<string>())
        {
            case "object":
                var o = new JsonObject();
                foreach (var (name, member) in schema["properties"]?.AsObject() ?? [])
                {
                    o[name] = Example(member!, components);
                }

                if (schema["additionalProperties"] is JsonObject additional)
                {
                    o["2.1"] = Example(additional, components);
                }

                return o;
            case "array":
                var a = new JsonArray();
                if (schema["items"] is { } items && (schema["maxItems"]?.GetValue<int>() ?? 1) > 0)
                {
                    a.Add(Example(items, components));
                }

                return a;
            case "integer":
                return JsonValue.Create(schema["minimum"]?.GetValue<decimal>() is { } imin ? (long)Math.Ceiling(imin) : 1);
            case "number":
                return JsonValue.Create(schema["minimum"]?.GetValue<decimal>() is { } nmin ? nmin + (schema["multipleOf"] is null ? 0.5m : 0.25m) : 12.34m);
            case "boolean":
                return JsonValue.Create(true);
            case "string":
                var format = schema["format"]?.GetValue<string>();
                var minLength = schema["minLength"]?.GetValue<int>() ?? 1;
                return JsonValue.Create(format switch
                {
                    "date" => "2025-06-30",
                    "date-time" => "2025-06-30T12:00:00+02:00",
                    "email" => "contact@genk.be",
                    "authority" => "71016",
                    "iban" => "BE68 5390 0754 7034",
                    "phone" => "+32 89 65 44 11",
                    "code" => "2.1",
                    _ => new string('x', Math.Max(1, minLength)),
                });
            default:
                throw new InvalidOperationException($"no example for {schema.ToJsonString()}");
        }
    }

    internal static string Invariant(decimal d) => d.ToString(CultureInfo.InvariantCulture);
}
