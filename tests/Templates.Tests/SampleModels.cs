using System.Text.Json.Nodes;

namespace SubsidyEngine.Templates.Tests;

/// <summary>The realistic sample models in Models/: <c>template-id.json</c> or <c>template-id.variant.json</c>.</summary>
internal static class SampleModels
{
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "Models");

    /// <summary>Sample names without extension, e.g. <c>award-decision</c>, <c>report-reminder.overdue</c>.</summary>
    public static IReadOnlyList<string> Names { get; } =
        [.. System.IO.Directory.GetFiles(Directory, "*.json").Select(Path.GetFileNameWithoutExtension).OfType<string>().Order(StringComparer.Ordinal)];

    public static TheoryData<string> All()
    {
        var data = new TheoryData<string>();
        foreach (var name in Names)
        {
            data.Add(name);
        }

        return data;
    }

    public static string TemplateId(string sampleName) => sampleName.Split('.')[0];

    public static JsonObject Load(string sampleName) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Directory, sampleName + ".json")))!.AsObject();
}
