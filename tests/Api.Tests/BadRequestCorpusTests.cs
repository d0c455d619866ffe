using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SubsidyEngine.Engine.Access;

namespace SubsidyEngine.Api.Tests;

/// <summary>A dossier in state A without an amount, a user with a key, for the corpus to aim at.</summary>
public sealed class CorpusFactory : ApiFactory
{
    public Guid Dossier { get; private set; }

    public Guid Holder { get; private set; }

    /// <summary>The real programme is loaded (its call is never opened here), so the call endpoints meet real lookups.</summary>
    protected override bool WithProgrammes => true;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Dossier = await CreateAbcAsync(Genk);
        var users = Services.GetRequiredService<UserDirectory>();
        Holder = (await users.CreateUserAsync("Holder", "holder@test.invalid", "officer", null)).Id;
        await users.CreateKeyAsync(Holder, "existing");
    }
}

/// <summary>
/// More than a hundred bad requests against every write endpoint: each answers 4xx problem details (never 5xx),
/// and nothing in the database changes.
/// </summary>
public sealed class BadRequestCorpusTests(CorpusFactory api) : IClassFixture<CorpusFactory>
{
    /// <summary>One bad request: who sends it, the method and path (with {d} = the dossier, {u} = the key holder), headers, body.</summary>
    public sealed record Case(string Name, string Persona, string Method, string Path, string? Body = null, string ContentType = "application/json", (string, string)[]? Headers = null, byte[]? Raw = null)
    {
        public override string ToString() => Name;
    }

    /// <summary>A string that alone makes a body larger than the 1 MiB limit.</summary>
    internal static readonly string Huge = new('x', 1024 * 1024 + 10);

    /// <summary>Nesting far beyond the reader's depth limit.</summary>
    internal static readonly string Deep = new string('[', 100) + new string(']', 100);

    /// <summary>The HTTP request of a case (its path already resolved): raw bytes or UTF-8 body with the case's content type, headers added unvalidated.</summary>
    internal static HttpRequestMessage ToRequest(Case c)
    {
        var request = new HttpRequestMessage(new HttpMethod(c.Method), c.Path);
        var bytes = c.Raw ?? (c.Body is null ? null : Encoding.UTF8.GetBytes(c.Body));
        if (bytes is not null)
        {
            request.Content = new ByteArrayContent(bytes);
            request.Content.Headers.TryAddWithoutValidation("Content-Type", c.ContentType);
        }

        foreach (var (name, value) in c.Headers ?? [])
        {
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, value);
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return request;
    }

    /// <summary>True when a response is RFC 9457 problem details.</summary>
    internal static bool IsProblem(HttpResponseMessage response) => response.Content.Headers.ContentType?.MediaType == "application/problem+json";

    public static IEnumerable<Case> Corpus()
    {
        const string create = "/api/dossiers";
        const string fire = "/api/dossiers/{d}/transitions/";
        const string users = "/api/users";
        const string keys = "/api/users/{u}/keys";
        static string Data(string data) => $$"""{"workflow":"test/abc","data":{{data}}}""";

        // Malformed and truncated JSON, on every body-taking endpoint.
        string[] malformed = ["{", "{\"workflow\":", "{\"workflow\":\"test/abc\",\"data\":{}", "[1,2]", "\"text\"", "null", "123", "true", "{'workflow':'test/abc'}",
            "{\"workflow\":\"test/abc\",\"data\":{},}", "{\"workflow\":\"test/abc\",\"workflow\":\"x\",\"data\":{}}", "{\"workflow\":\"test/abc\",\"data\":{}} trailing",
            "{\"a\":1}/*comment*/", Deep, "{\"workflow\":\"test/abc\",\"data\":{\"amount\":01}}", "{\"workflow\":\"test/abc\",\"data\":{\"amount\":NaN}}"];
        var i = 0;
        foreach (var m in malformed)
        {
            yield return new Case($"create malformed {i}", "officer", "POST", create, m);
            yield return new Case($"fire malformed {i}", "officer", "POST", fire + "set-amount", m.Replace("\"workflow\":\"test/abc\",", string.Empty, StringComparison.Ordinal));
            yield return new Case($"user malformed {i}", "admin", "POST", users, m);
            yield return new Case($"key malformed {i++}", "admin", "POST", keys, m);
        }

        yield return new Case("create invalid UTF-8", "officer", "POST", create, Raw: [0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D]);
        yield return new Case("fire invalid UTF-8", "officer", "POST", fire + "set-amount", Raw: [0x7B, 0x22, 0x61, 0x6D, 0xFF, 0x22, 0x3A, 0x31, 0x7D]);
        yield return new Case("create UTF-8 BOM", "officer", "POST", create, Raw: [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Data("{}"))]);

        // Wrong content types.
        foreach (var type in new[] { "text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=iso-8859-1" })
        {
            yield return new Case($"create as {type}", "officer", "POST", create, Data("{}"), type);
            yield return new Case($"fire as {type}", "officer", "POST", fire + "set-amount", """{"amount":1}""", type);
            yield return new Case($"user as {type}", "admin", "POST", users, """{"displayName":"X","email":"x@test.invalid","role":"officer"}""", type);
        }

        // Wrong types and shapes.
        foreach (var body in new[]
                 {
                     """{"workflow":123,"data":{}}""", """{"workflow":null,"data":{}}""", """{"workflow":"test/abc"}""", """{"workflow":"test/abc","data":"x"}""",
                     """{"workflow":"test/abc","data":[]}""", """{"data":{}}""", Data("""{"amount":"abc"}"""), Data("""{"amount":true}"""), Data("""{"owner":5}"""),
                     Data("""{"participants":"71016"}"""), Data("""{"amount":1e400}"""), Data("""{"amount":79228162514264337593543950336}"""), Data("""{"title":{"a":1}}"""),
                 })
        {
            yield return new Case($"create type {i++}", "officer", "POST", create, body);
        }

        // Unknown workflows, injection strings as ids.
        foreach (var wf in new[] { "nope/nope", "../../etc/passwd", "test/abc'; DROP TABLE dossier;--", "{{7*7}}", "${7*7}", "<script>alert(1)</script>", "", new string('a', 300) })
        {
            yield return new Case($"create workflow {i++}", "officer", "POST", create, new JsonObject { ["workflow"] = wf, ["data"] = new JsonObject() }.ToJsonString());
        }

        // Injection strings and forged roles in data and arguments.
        foreach (var data in new[]
                 {
                     """{"amount":"1; DROP TABLE dossier"}""", """{"role":"admin"}""", """{"actor":"system"}""", """{"authorityId":"11002"}""",
                     """{"amount":"{{7*7}}"}""", """{"title":"a\u0000b"}""", """{"title":"\ud800"}""", """{"participants":["\u0000"]}""", """{"\u0000":1}""",
                     $$"""{"title":"{{new string('t', 600 * 1024)}}"}""",
                 })
        {
            yield return new Case($"create data {i++}", "officer", "POST", create, Data(data));
        }

        foreach (var top in new[] { """{"workflow":"test/abc","data":{},"role":"admin"}""", """{"workflow":"test/abc","data":{},"actor":{"id":"x","role":"officer"}}""", """{"workflow":"test/abc","data":{},"authorityId":"71016"}""" })
        {
            yield return new Case($"create forged {i++}", "genk", "POST", create, top);
        }

        // Transition arguments.
        foreach (var (trigger, args) in new[]
                 {
                     ("set-amount", "{}"), ("set-amount", """{"amount":null}"""), ("set-amount", """{"amount":-1}"""), ("set-amount", """{"amount":"NaN"}"""),
                     ("set-amount", """{"amount":"1e10"}"""), ("set-amount", """{"amount":1,"role":"officer"}"""), ("set-amount", """{"amount":1,"actor":"system"}"""),
                     ("set-amount", $$"""{"amount":1,"comment":"{{new string('c', 5000)}}"}"""), ("set-amount", """{"amount":1,"comment":"bell\u0007"}"""),
                     ("set-amount", """{"amount":1,"comment":"nul\u0000"}"""), ("set-amount", """{"amount":-99999999999999999999999999}"""),
                     ("go", """{"note":"123456789012345678901"}"""), ("go", """{"count":-1}"""), ("go", """{"count":11}"""), ("go", """{"count":1.5}"""),
                     ("go", """{"count":"1"}"""), ("go", """{"count":99999999999999999999}"""), ("go", """{"note":5}"""), ("go", "{}"),
                     ("reject", "{}"), ("reject", """{"comment":"   "}"""), ("expire", "{}"), ("finish", "{}"), ("unknown-trigger", "{}"),
                     ("go%0AX-Injected:%201", "{}"), ("%7B%7B7*7%7D%7D", "{}"), ("go'%20OR%201=1--", "{}"), ("..%2F..%2Fusers", "{}"),
                 })
        {
            yield return new Case($"fire {trigger} {i++}", "officer", "POST", fire + trigger, args);
        }

        // Who may not: auditors never write, a foreign municipality gets 404, a municipality may not fire officer triggers, anonymous and bad keys.
        yield return new Case("auditor creates", "auditor", "POST", create, Data("""{"owner":"71016"}"""));
        yield return new Case("auditor fires", "auditor", "POST", fire + "set-amount", """{"amount":1}""");
        yield return new Case("auditor dry-runs", "auditor", "POST", "/api/migrations/cycle-v1-v2/dry-run");
        yield return new Case("auditor applies", "auditor", "POST", "/api/migrations/cycle-v1-v2/apply");
        yield return new Case("auditor creates a user", "auditor", "POST", users, """{"displayName":"X","email":"x@test.invalid","role":"admin"}""");
        yield return new Case("officer applies", "officer", "POST", "/api/migrations/cycle-v1-v2/apply");
        yield return new Case("officer creates a user", "officer", "POST", users, """{"displayName":"X","email":"x@test.invalid","role":"admin"}""");
        yield return new Case("officer makes a key", "officer", "POST", keys, """{"label":"x"}""");
        yield return new Case("officer revokes", "officer", "DELETE", "/api/users/{u}/keys/{k}");
        yield return new Case("foreign municipality fires", "antwerpen", "POST", fire + "set-amount", """{"amount":1}""");
        yield return new Case("own municipality fires an officer trigger", "genk", "POST", fire + "go", "{}");
        yield return new Case("municipality creates for another", "antwerpen", "POST", create, Data("""{"owner":"71016"}"""));
        yield return new Case("anonymous creates", "anonymous", "POST", create, Data("{}"));
        yield return new Case("anonymous fires", "anonymous", "POST", fire + "set-amount", """{"amount":1}""");
        yield return new Case("anonymous creates a user", "anonymous", "POST", users, """{"displayName":"X","email":"x@test.invalid","role":"admin"}""");
        yield return new Case("garbage key creates", "anonymous", "POST", create, Data("{}"), Headers: [("X-Api-Key", "sek_" + new string('Z', 43))]);
        yield return new Case("forged role header", "anonymous", "POST", create, Data("{}"), Headers: [("X-Role", "admin"), ("X-Authority", "71016")]);

        // Unknown ids and bad GUIDs.
        yield return new Case("fire unknown dossier", "officer", "POST", $"/api/dossiers/{Guid.NewGuid()}/transitions/set-amount", """{"amount":1}""");
        yield return new Case("fire bad guid", "officer", "POST", "/api/dossiers/not-a-guid/transitions/set-amount", """{"amount":1}""");
        yield return new Case("fire sql guid", "officer", "POST", "/api/dossiers/'%20OR%201=1--/transitions/set-amount", """{"amount":1}""");
        yield return new Case("fire empty-guid", "officer", "POST", $"/api/dossiers/{Guid.Empty}/transitions/set-amount", """{"amount":1}""");
        yield return new Case("key for unknown user", "admin", "POST", $"/api/users/{Guid.NewGuid()}/keys", """{"label":"x"}""");
        yield return new Case("key for bad guid", "admin", "POST", "/api/users/abc/keys", """{"label":"x"}""");
        yield return new Case("revoke unknown key", "admin", "DELETE", $"/api/users/{{u}}/keys/{Guid.NewGuid()}");
        yield return new Case("revoke bad guid", "admin", "DELETE", "/api/users/{u}/keys/1%3B%20DROP%20TABLE%20api_key");
        yield return new Case("revoke other user's key", "admin", "DELETE", $"/api/users/{Guid.NewGuid()}/keys/{{k}}");
        yield return new Case("dry-run unknown migration", "admin", "POST", "/api/migrations/nope/dry-run");
        yield return new Case("dry-run with a member", "admin", "POST", "/api/migrations/cycle-v1-v2/dry-run", """{"force":true}""");
        yield return new Case("apply with a member", "admin", "POST", "/api/migrations/cycle-v1-v2/apply", """{"confirm":true}""");
        yield return new Case("retry with a member", "officer", "POST", $"/api/notices/{Guid.NewGuid()}/retry", """{"attempts":0}""");
        yield return new Case("apply injected migration", "admin", "POST", "/api/migrations/'%20OR%201=1--/apply");
        yield return new Case("apply template migration", "admin", "POST", "/api/migrations/%7B%7B7*7%7D%7D/apply");

        // Call actions: unknown or malformed programme and call ids, a call never opened, and who may not.
        const string calls = "/api/programmes/plan-samenleven/calls/";
        foreach (var action in new[] { "open", "allocation/preview", "allocation/confirm", "award" })
        {
            yield return new Case($"call {action} unknown programme", "officer", "POST", $"/api/programmes/nope/calls/2023/{action}");
            yield return new Case($"call {action} unknown call", "officer", "POST", $"{calls}1999/{action}");
            foreach (var id in new[] { "'%20OR%201=1--", "%7B%7B7*7%7D%7D", "..%2F..%2Fusers", new string('a', 300), "%01" })
            {
                yield return new Case($"call {action} call id {i++}", "officer", "POST", $"{calls}{id}/{action}");
                yield return new Case($"call {action} programme id {i++}", "officer", "POST", $"/api/programmes/{id}/calls/2023/{action}");
            }

            yield return new Case($"call {action} by a municipality", "genk", "POST", $"{calls}2023/{action}");
            yield return new Case($"call {action} by an auditor", "auditor", "POST", $"{calls}2023/{action}");
            yield return new Case($"call {action} anonymous", "anonymous", "POST", $"{calls}2023/{action}");
            // No arguments: what the server reads (budget, amounts) cannot be stated, and a member is refused, not ignored.
            yield return new Case($"call {action} with a budget", "officer", "POST", $"{calls}2023/{action}", """{"budgetEur":1}""");
            yield return new Case($"call {action} with an array body", "officer", "POST", $"{calls}2023/{action}", "[]");
            if (action != "open")
            {
                yield return new Case($"call {action} before the call is opened", "officer", "POST", $"{calls}2023/{action}");
                yield return new Case($"call {action} of a call not opened (2024)", "admin", "POST", $"{calls}2024/{action}");
            }
        }

        // Users and keys.
        foreach (var body in new[]
                 {
                     "{}", """{"displayName":"X","email":"x@test.invalid","role":"superadmin"}""", """{"displayName":"X","email":"x@test.invalid","role":"system"}""",
                     """{"displayName":"X","email":"x@test.invalid","role":"municipality"}""", """{"displayName":"X","email":"x@test.invalid","role":"officer","authorityId":"71016"}""",
                     """{"displayName":"X","email":"x","role":"officer"}""", $$"""{"displayName":"{{new string('n', 300)}}","email":"x@test.invalid","role":"officer"}""",
                     """{"displayName":"X\u0000","email":"x@test.invalid","role":"officer"}""", """{"displayName":"X","email":"x@test.invalid","role":"officer","isAdmin":true}""",
                     """{"displayName":"X","email":"x@test.invalid","role":1}""", """{"displayName":"X","email":"officer@test.invalid","role":"officer"}""",
                     """{"displayName":"X","email":"x@test.invalid","role":"municipality","authorityId":"71016'; DROP TABLE users;--"}""",
                     """{"displayName":"X","email":"x@test.invalid","role":"Officer"}""",
                 })
        {
            yield return new Case($"user {i++}", "admin", "POST", users, body);
        }

        foreach (var body in new[] { """{"label":""}""", $$"""{"label":"{{new string('l', 201)}}"}""", "{}", """{"label":5}""", """{"label":"x","userId":"00000000-0000-0000-0000-000000000001"}""", """{"label":"a\u0007b"}""" })
        {
            yield return new Case($"key {i++}", "admin", "POST", keys, body);
        }

        // Huge bodies.
        yield return new Case("create 1 MiB+", "officer", "POST", create, Data($$"""{"title":"{{Huge}}"}"""));
        yield return new Case("fire 1 MiB+", "officer", "POST", fire + "set-amount", $$"""{"amount":1,"comment":"{{Huge}}"}""");
        yield return new Case("user 1 MiB+", "admin", "POST", users, $$"""{"displayName":"{{Huge}}","email":"x@test.invalid","role":"officer"}""");

        // Header injection and bad preconditions.
        foreach (var key in new[] { "has space", "tab\there", new string('k', 101), "caf\u00e9", "line\r\nX-Injected: 1", "\u0001" })
        {
            yield return new Case($"create idempotency {i++}", "officer", "POST", create, Data("{}"), Headers: [("Idempotency-Key", key)]);
            yield return new Case($"fire idempotency {i++}", "officer", "POST", fire + "set-amount", """{"amount":1}""", Headers: [("Idempotency-Key", key)]);
        }

        foreach (var ifMatch in new[] { "5", "W/\"1\"", "\"abc\"", "\"-1\"", "\"99999999999\"", "\"999\"", "\"\"" })
        {
            yield return new Case($"fire if-match {ifMatch}", "officer", "POST", fire + "set-amount", """{"amount":1}""", Headers: [("If-Match", ifMatch)]);
        }
    }

    [Fact]
    public async Task The_corpus_has_more_than_a_hundred_cases_and_every_one_answers_4xx_problem_details_and_changes_nothing()
    {
        var cases = Corpus().ToList();
        Assert.True(cases.Count >= 100, $"only {cases.Count} cases");
        var existingKey = (await api.Services.GetRequiredService<UserDirectory>().ListKeysAsync(api.Holder)).Single().Id;
        var before = await api.FingerprintAsync();
        var failures = new List<string>();
        var refusedByClient = new List<string>();
        foreach (var c in cases)
        {
            using var client = api.As(c.Persona == "anonymous" ? null : c.Persona);
            var path = c.Path.Replace("{d}", api.Dossier.ToString("D"), StringComparison.Ordinal).Replace("{u}", api.Holder.ToString("D"), StringComparison.Ordinal)
                .Replace("{k}", existingKey.ToString("D"), StringComparison.Ordinal);
            using var request = ToRequest(c with { Path = path });
            HttpResponseMessage response;
            try
            {
                response = await client.SendAsync(request);
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException or FormatException)
            {
                // The test client forwards even line breaks in headers to the in-memory server; a refusal here would mean a case never ran.
                (c.Headers?.Any(h => h.Item2.Contains('\n', StringComparison.Ordinal)) == true ? refusedByClient : failures).Add($"{c.Name}: client refused: {e.Message}");
                continue;
            }

            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync();
            if (status is < 400 or >= 500)
            {
                failures.Add($"{c.Name}: {status} {body[..Math.Min(300, body.Length)]}");
            }
            else if (!IsProblem(response))
            {
                failures.Add($"{c.Name}: {status} with content type {response.Content.Headers.ContentType}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(refusedByClient.Count == 0, string.Join("\n", refusedByClient));
        Assert.True(cases.Count - refusedByClient.Count >= 100, $"only {cases.Count - refusedByClient.Count} cases reached the service");
        Assert.Equal(before, await api.FingerprintAsync());
    }

    [Fact]
    public async Task Validation_errors_are_keyed_by_field_name()
    {
        using var officer = api.As("officer");
        var response = await officer.PostAsync($"/api/dossiers/{api.Dossier}/transitions/go", ApiFactory.Json("""{"note":"123456789012345678901","count":11,"role":"admin"}"""));
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["$.count", "$.note", "$.role"], problem["errors"]!.AsObject().Select(kv => kv.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_body_over_one_mebibyte_is_413_and_a_wrong_content_type_is_415()
    {
        using var officer = api.As("officer");
        var big = await officer.PostAsync("/api/dossiers", ApiFactory.Json($$$"""{"workflow":"test/abc","data":{"title":"{{{Huge}}}"}}"""));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, big.StatusCode);
        var xml = await officer.PostAsync("/api/dossiers", new StringContent("<dossier/>", Encoding.UTF8, "application/xml"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, xml.StatusCode);
    }
}
