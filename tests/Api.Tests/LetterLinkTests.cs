using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Letters;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Templates;

namespace SubsidyEngine.Api.Tests;

/// <summary>
/// Every link in every letter and notice leads somewhere: rendered from a real dossier, each address answers the
/// user the letter is addressed to (200) and hides the dossier from another municipality (404).
/// </summary>
public sealed partial class LetterLinkTests(ProgrammeFactory api) : IClassFixture<ProgrammeFactory>
{
    [GeneratedRegex(@"https?://[^\s""'<>)]+")]
    private static partial Regex Url();

    [Fact]
    public async Task Every_link_of_every_letter_template_opens_for_the_addressed_municipality_and_not_for_another()
    {
        api.Clock.JumpTo(new DateTimeOffset(2023, 5, 27, 10, 0, 0, TimeSpan.FromHours(2)));
        await ProgrammeScenario.OpenCallAsync(api);
        var app = await ProgrammeScenario.StartAsync(api, "genk", ProgrammeScenario.GenkApplication());
        await ProgrammeScenario.FireAsync(api, app, "submit", "genk");
        await ProgrammeScenario.FireAsync(api, app, "request-information", "officer", new JsonObject { ["questions"] = "Welke partners?", ["deadline"] = "2023-06-30" });
        var data = (await api.Services.GetRequiredService<WorkflowRuntime>().GetAsync(app))!.Data;

        var baseUrl = api.Services.GetRequiredService<IOptions<SubsidyOptions>>().Value.PublicBaseUrl.TrimEnd('/');
        var models = api.Services.GetRequiredService<LetterModelBuilder>();
        var renderer = api.Services.GetRequiredService<LetterRenderer>();
        using var genk = api.As("genk");
        using var antwerpen = api.As("antwerpen");
        var checkedLinks = 0;
        foreach (var template in LetterCatalog.Default.Ids.Where(id => id != "checkpoint-digest").OrderBy(id => id is "information-request" or "report-reminder" ? 0 : 1))
        {
            var reminder = new ReminderInfo(template == "deadline-timeout" ? "information" : "interim-report", DateTimeOffset.Parse("2023-06-30T21:59:59Z"), "7-days");
            RenderedLetter letter;
            try
            {
                letter = renderer.RenderLatest(template, models.Build(template, new LetterContext(app, data, api.Clock.GetUtcNow(), reminder)));
            }
            catch (Exception e) when (e is LetterRenderException or LetterModelException)
            {
                // A letter this dossier cannot have yet (an extension, a settlement): its template must print no address.
                var source = System.Text.Encoding.UTF8.GetString(LetterCatalog.Default.Latest(template).GetSourceBytes());
                Assert.DoesNotMatch(@"\{\{[^}]*[uU]rl", source);
                continue;
            }

            foreach (var url in Url().Matches(letter.Html + "\n" + letter.Text).Select(m => m.Value.TrimEnd('.', ',')).Distinct())
            {
                Assert.True(url.StartsWith(baseUrl + "/", StringComparison.Ordinal), $"{template}: {url} is not an address of the service ({baseUrl})");
                var path = url[baseUrl.Length..];
                var mine = await genk.GetAsync(path);
                Assert.True(mine.StatusCode == HttpStatusCode.OK, $"{template}: {path} answers {(int)mine.StatusCode} to the addressed municipality");
                var other = await antwerpen.GetAsync(path);
                Assert.True(other.StatusCode == HttpStatusCode.NotFound, $"{template}: {path} answers {(int)other.StatusCode} to another municipality");
                checkedLinks++;
            }
        }

        Assert.True(checkedLinks >= 2, "the information request and the reminder link to the dossier");
    }
}
