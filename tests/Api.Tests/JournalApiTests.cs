using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SubsidyEngine.Api.Tests;

/// <summary>
/// The journal as the API serves it is what was hashed: an auditor recomputes every event's hash from the API's
/// fields alone (docs/audit.md, canonical form sej1), <c>occurredAt</c> included, byte for byte.
/// </summary>
public sealed partial class JournalApiTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")]
    private static partial Regex CanonicalTime();

    [Fact]
    public async Task The_journal_gives_occurredAt_in_the_canonical_form_so_every_hash_recomputes_from_the_api()
    {
        var id = await api.CreateAbcAsync(ApiFactory.Genk, amount: 12.5m);
        using var officer = api.As("officer");
        Assert.True((await officer.PostAsync($"/api/dossiers/{id}/transitions/go", ApiFactory.Json("""{"note":"café"}"""))).IsSuccessStatusCode);

        var response = await api.As("auditor").GetAsync($"/api/dossiers/{id}/journal");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();
        Assert.Equal(2, events.Count(e => e!["trigger"]!.GetValue<string>().Length > 0)); // plus any notice records of the outbox
        var prev = new string('0', 64);
        foreach (var e in events)
        {
            var occurredAt = e!["occurredAt"]!.GetValue<string>();
            Assert.Matches(CanonicalTime(), occurredAt);
            var format = e["format"]?.GetValue<string>() ?? "sej1";
            string[] fields =
            [
                format, id.ToString("D"), e["dossierSeq"]!.ToJsonString(), occurredAt, e["actor"]!.GetValue<string>(), e["actorRole"]!.GetValue<string>(),
                e["kind"]!.GetValue<string>(), e["trigger"]!.GetValue<string>(), e["fromState"]!.GetValue<string>(), e["toState"]!.GetValue<string>(),
                e["definitionId"]!.GetValue<string>(), e["definitionVersion"]!.ToJsonString(), e["definitionHash"]!.GetValue<string>(),
                e["arguments"]!.GetValue<string>(), .. format == "sej2" ? [e["inputs"]!.GetValue<string>()] : Array.Empty<string>(),
                e["effects"]!.GetValue<string>(), e["prevHash"]!.GetValue<string>(),
            ];
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Concat(fields.Select(f => f + "\n")))));
            Assert.Equal(prev, e["prevHash"]!.GetValue<string>());
            Assert.Equal(e["hash"]!.GetValue<string>(), hash);
            prev = hash;
        }
    }
}
