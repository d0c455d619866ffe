using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SubsidyEngine.Workflows.Model;

namespace SubsidyEngine.Workflows.Loading;

/// <summary>The result of loading a folder: the definitions and migrations that parsed, and every problem found.</summary>
public sealed record LoadResult(IReadOnlyList<WorkflowDefinition> Definitions, IReadOnlyList<MigrationSpec> Migrations, IReadOnlyList<LoadProblem> Problems);

/// <summary>
/// Reads <c>workflows/&lt;programme&gt;/&lt;workflow&gt;.v&lt;N&gt;.json</c> definition files and
/// <c>workflows/&lt;programme&gt;/migrations/*.json</c> migration specs. Other JSON files in the folder (programme
/// data) are not workflow definitions and are left alone.
/// </summary>
public static partial class DefinitionLoader
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = false,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    [GeneratedRegex(@"^(?<name>[a-z0-9-]+)\.v(?<v>[1-9][0-9]*)\.json$")]
    private static partial Regex DefinitionFile();

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Loads every definition and migration under <paramref name="root"/> and validates them together.</summary>
    public static LoadResult LoadFolder(string root, DefinitionValidator validator)
    {
        var problems = new List<LoadProblem>();
        var definitions = new List<WorkflowDefinition>();
        var migrations = new List<MigrationSpec>();
        if (!Directory.Exists(root))
        {
            problems.Add(new LoadProblem(root, "$", "the workflows folder does not exist"));
            return new LoadResult(definitions, migrations, problems);
        }

        foreach (var file in Directory.EnumerateFiles(root, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            var parts = relative.Split('/');
            if (parts.Length == 3 && parts[1] == "migrations")
            {
                var spec = LoadMigration(file, relative, problems);
                if (spec is not null)
                {
                    migrations.Add(spec);
                }

                continue;
            }

            var m = DefinitionFile().Match(Path.GetFileName(file));
            if (parts.Length != 2 || !m.Success)
            {
                continue; // programme data, catalogues, ...: not a workflow definition
            }

            var def = LoadDefinition(File.ReadAllBytes(file), relative, problems);
            if (def is null)
            {
                continue;
            }

            var expectedId = $"{parts[0]}/{m.Groups["name"].Value}";
            var expectedVersion = int.Parse(m.Groups["v"].Value, CultureInfo.InvariantCulture);
            if (def.Id != expectedId)
            {
                problems.Add(new LoadProblem(relative, "$.id", $"id '{def.Id}' does not match the file name (expected '{expectedId}')"));
            }

            if (def.Version != expectedVersion)
            {
                problems.Add(new LoadProblem(relative, "$.version", $"version {def.Version} does not match the file name (expected {expectedVersion})"));
            }

            definitions.Add(def);
        }

        problems.AddRange(validator.Validate(definitions));
        problems.AddRange(validator.ValidateMigrations(migrations, definitions));
        return new LoadResult(definitions, migrations, problems);
    }

    /// <summary>Parses one definition from its bytes; parse errors become problems.</summary>
    public static WorkflowDefinition? LoadDefinition(byte[] bytes, string sourcePath, List<LoadProblem> problems)
    {
        try
        {
            var def = JsonSerializer.Deserialize<WorkflowDefinition>(bytes, Json);
            if (def is null)
            {
                problems.Add(new LoadProblem(sourcePath, "$", "empty file"));
                return null;
            }

            return def with { SourcePath = sourcePath, ContentHash = Sha256(bytes), Content = Encoding.UTF8.GetString(bytes) };
        }
        catch (JsonException e)
        {
            problems.Add(LoadProblem.FromJson(sourcePath, e));
            return null;
        }
    }

    private static MigrationSpec? LoadMigration(string file, string relative, List<LoadProblem> problems)
    {
        try
        {
            var bytes = File.ReadAllBytes(file);
            var spec = JsonSerializer.Deserialize<MigrationSpec>(bytes, Json);
            return spec is null ? null : spec with { SourcePath = relative, ContentHash = Sha256(bytes) };
        }
        catch (JsonException e)
        {
            problems.Add(LoadProblem.FromJson(relative, e));
            return null;
        }
    }

    /// <summary>Parses a JSON text into a node (helper for tests and tools).</summary>
    public static JsonNode? Parse(string json) => JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
}
