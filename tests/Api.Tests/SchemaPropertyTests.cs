using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.DependencyInjection;
using SubsidyEngine.Engine.Access;
using SubsidyEngine.Engine.Programmes;
using SubsidyEngine.Engine.Runtime;
using SubsidyEngine.Workflows.Model;
using Xunit.Abstractions;

namespace SubsidyEngine.Api.Tests;

/// <summary>
/// Every shipped programme with dossiers in the states the lifecycle reaches without an award: Plan Samenleven 2023
/// (call in allocation; applications in draft with a participant, submitted, information requested, eligible) and
/// Oefenkansen Nederlands 2026 (call open; an application in draft). Every application has its own owner persona.
/// </summary>
public sealed class SchemaPropertyFactory : AllProgrammesFactory
{
    /// <summary>Persona name per authority id (the base personas plus one per extra owner).</summary>
    public Dictionary<string, string> PersonaOf { get; } = new(StringComparer.Ordinal) { [Genk] = "genk", [Antwerpen] = "antwerpen", [Gent] = "gent" };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var users = Services.GetRequiredService<UserDirectory>();
        foreach (var nis in new[] { "11001", "11004", "11005", "11008" })
        {
            var user = await users.CreateUserAsync($"Test {nis}", $"{nis}@test.invalid", Roles.Municipality, nis);
            Users[nis] = user;
            Keys[nis] = (await users.CreateKeyAsync(user.Id, "tests")).Secret;
            PersonaOf[nis] = nis;
        }

        var service = Services.GetRequiredService<ProgrammeService>();
        var officer = ProgrammeScenario.ActorOf(this, "officer");
        var call = await ProgrammeScenario.OpenCallAsync(this);
        await ProgrammeScenario.StartAsync(this, "genk", ProgrammeScenario.GenkApplication(), Gent); // draft, Gent participates
        var submitted = await ProgrammeScenario.StartAsync(this, "11001", ProgrammeScenario.GenkApplication());
        await ProgrammeScenario.FireAsync(this, submitted, "submit", "11001");
        var information = await ProgrammeScenario.StartAsync(this, "11004", ProgrammeScenario.GenkApplication());
        await ProgrammeScenario.FireAsync(this, information, "submit", "11004");
        await ProgrammeScenario.FireAsync(this, information, "request-information", "officer", new JsonObject { ["questions"] = "Welke partners?", ["deadline"] = "2023-06-30" });
        var eligible = await ProgrammeScenario.StartAsync(this, "antwerpen", ProgrammeScenario.GenkApplication()); // above the threshold on its own
        await ProgrammeScenario.FireAsync(this, eligible, "submit", "antwerpen");
        await service.DecideEligibilityAsync(eligible, true, null, officer);
        Clock.JumpTo(new DateTimeOffset(2023, 7, 10, 12, 0, 1, TimeSpan.FromHours(2)));
        await Services.GetRequiredService<DeadlineSweeper>().FireDueTimeoutsAsync();
        await ProgrammeScenario.FireAsync(this, call, "start-allocation", "officer");

        Clock.JumpTo(new DateTimeOffset(2026, 2, 10, 10, 0, 0, TimeSpan.FromHours(1)));
        var oefen = await service.OpenCallAsync("oefenkansen-nederlands", "2026", officer);
        await Services.GetRequiredService<WorkflowRuntime>().FireAsync(new FireRequest(oefen.DossierId, "open-window", [], officer));
        await service.StartApplicationAsync("oefenkansen-nederlands", "2026", "11008", [], ProgrammeScenario.ActorOf(this, "11008"));
    }
}

/// <summary>
/// FsCheck property over every trigger of every latest shipped definition, every creation and the start of an
/// application: payloads generated from the declared schema and made invalid or hostile in one place (wrong types,
/// missing and unknown members, out-of-range and unrepresentable numbers, euro fractions, over-long strings, line
/// breaks, ANSI escapes and bidi overrides in one-line text and e-mails, address lists, bad NIS codes and IBANs,
/// wrong or duplicate array items, deep nesting), fired over HTTP as the officer, the owner, a participant, another
/// municipality and the auditor on a dossier in a state where the trigger is permitted when the set-up has one.
/// Property: no 5xx, nothing written (database fingerprint), every answer problem details, every 400 naming JSON
/// paths that start with <c>$</c>. Fixed seed; <see cref="CasesPerTarget"/> cases per target, five requests each.
/// </summary>
public sealed class SchemaPropertyTests(SchemaPropertyFactory api, ITestOutputHelper output) : IClassFixture<SchemaPropertyFactory>
{
    public const int CasesPerTarget = 4;
    public const ulong Seed = 20261207;

    private sealed record Target(string Name, IReadOnlyList<ParameterDefinition> Parameters, Func<JsonObject, (string Url, string Body)> Request, string[] Personas, bool PermittedState);

    private sealed record Dossier(Guid Id, string Workflow, string State, string? Owner, string? Participant);

    [Fact]
    public async Task Invalid_and_hostile_arguments_are_refused_with_a_json_path_and_change_nothing()
    {
        var dossiers = await DossiersAsync();
        var targets = Targets(dossiers);
        var catalog = api.Services.GetRequiredService<WorkflowCatalog>();
        var failures = new List<string>();
        var requests = 0;
        var statuses = new SortedDictionary<int, int>();
        foreach (var (target, index) in targets.Select((t, i) => (t, i)))
        {
            var gen = Gen.Choose(0, int.MaxValue);
            var config = Config.QuickThrowOnFailure.WithMaxTest(CasesPerTarget).WithQuietOnSuccess(true)
                .WithReplay(Microsoft.FSharp.Core.FSharpOption<Replay>.Some(new Replay(new Rnd(Seed + (ulong)index), Microsoft.FSharp.Core.FSharpOption<int>.None)));
            var property = Prop.ForAll(Arb.From(gen), seed =>
            {
                var (url, body, what) = Mutate(target, seed);
                var problem = Task.Run(() => FireAsAllAsync(target, url, body, statuses)).GetAwaiter().GetResult();
                Interlocked.Add(ref requests, target.Personas.Length);
                if (problem is not null)
                {
                    failures.Add($"{target.Name} [{what}] {body}\n  {problem}");
                }

                return problem is null;
            });
            try
            {
                Check.One(config, property);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Keep going: every failing target is reported, with the (shrunk) case in the message.
                failures.Add($"{target.Name}: {e.Message.Split('\n').FirstOrDefault()}");
            }
        }

        output.WriteLine($"{targets.Count} targets ({targets.Count(t => t.PermittedState)} on a dossier in a permitted state), {CasesPerTarget} cases each, {requests} requests; statuses {string.Join(", ", statuses.Select(kv => $"{kv.Key}: {kv.Value}"))}");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Distinct().Take(30)));
        Assert.True(targets.Count >= 60, $"only {targets.Count} targets");
        _ = catalog;
    }

    private async Task<string?> FireAsAllAsync(Target target, string url, string body, SortedDictionary<int, int> statuses)
    {
        var before = await api.FingerprintAsync();
        foreach (var persona in target.Personas)
        {
            using var client = api.As(persona);
            using var response = await client.PostAsync(url, new StringContent(body, Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            lock (statuses)
            {
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
            }

            if (status >= 500 || status < 400)
            {
                return $"{persona}: {status} {Cut(text)}";
            }

            if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            {
                return $"{persona}: {status} not problem details ({response.Content.Headers.ContentType}) {Cut(text)}";
            }

            var json = JsonNode.Parse(text)!;
            if (json["status"]?.GetValue<int>() != status || json["title"] is null)
            {
                return $"{persona}: {status} problem without status/title {Cut(text)}";
            }

            if (status == 400)
            {
                var errors = json["errors"] as JsonObject;
                if (errors is null || errors.Count == 0 || errors.Any(kv => !kv.Key.StartsWith('$')))
                {
                    return $"{persona}: 400 without JSON paths: {Cut(text)}";
                }
            }
        }

        var after = await api.FingerprintAsync();
        return before == after ? null : $"rows changed: {before} -> {after}";
    }

    private static string Cut(string s) => s.Length > 400 ? s[..400] + "…" : s;

    private async Task<List<Dossier>> DossiersAsync()
    {
        using var client = api.As("officer");
        var page = JsonNode.Parse(await client.GetStringAsync("/api/dossiers?pageSize=200"))!;
        return page["items"]!.AsArray().Select(d => new Dossier(
            Guid.Parse(d!["id"]!.GetValue<string>()), d["workflow"]!.GetValue<string>(), d["state"]!.GetValue<string>(),
            d["data"]?["owner"]?.GetValue<string>(), (d["data"]?["participants"] as JsonArray)?.FirstOrDefault()?.GetValue<string>())).ToList();
    }

    private string[] PersonasFor(Dossier? d)
    {
        var owner = d?.Owner is { } o && api.PersonaOf.TryGetValue(o, out var op) ? op : "genk";
        var participant = d?.Participant is { } p && api.PersonaOf.TryGetValue(p, out var pp) ? pp : "gent";
        var other = new[] { "antwerpen", "gent", "genk" }.First(x => x != owner && x != participant);
        return ["officer", owner, participant, other, "auditor"];
    }

    private List<Target> Targets(List<Dossier> dossiers)
    {
        var targets = new List<Target>();
        foreach (var definition in api.LatestShipped())
        {
            var mine = dossiers.Where(d => d.Workflow == definition.Id).ToList();
            foreach (var trigger in definition.Triggers)
            {
                var from = definition.Transitions.Where(t => t.Trigger == trigger.Id).Select(t => t.From).ToList();
                var permitted = mine.FirstOrDefault(d => from.Any(f => definition.IsInState(d.State, f)));
                var dossier = permitted ?? mine.FirstOrDefault();
                if (dossier is null)
                {
                    continue; // no dossier of this workflow (system/audit): its creation is covered below
                }

                targets.Add(new Target($"{definition.Key} {trigger.Id} on {dossier.State}", trigger.Parameters,
                    args => ($"/api/dossiers/{dossier.Id}/transitions/{trigger.Id}", args.ToJsonString()), PersonasFor(dossier), permitted is not null));
            }

            if (definition.Creation is { } creation)
            {
                targets.Add(new Target($"{definition.Key} creation", creation.Parameters,
                    args => ("/api/dossiers", new JsonObject { ["workflow"] = definition.Id, ["data"] = args }.ToJsonString()), PersonasFor(null), true));
            }
        }

        // Starting an application: the creation's parameters less the call (which the route names).
        foreach (var (programme, call) in new[] { ("plan-samenleven", "2023"), ("oefenkansen-nederlands", "2026") })
        {
            var creation = api.LatestShipped().First(d => d.Id == programme + "/dossier").Creation!;
            targets.Add(new Target($"{programme} start-application {call}", creation.Parameters.Where(p => p.Name != "call").ToList(),
                args => ($"/api/programmes/{programme}/calls/{call}/applications", args.ToJsonString()), PersonasFor(null), true));
        }

        return targets;
    }

    // ---- generation -------------------------------------------------------------------------------------------

    /// <summary>A valid payload, then one place made invalid (chosen by <paramref name="seed"/>).</summary>
    private static (string Url, string Body, string What) Mutate(Target target, int seed)
    {
        var random = new Random(seed);
        var body = new JsonObject();
        foreach (var p in target.Parameters)
        {
            body[p.Name] = Valid(p, random);
        }

        var sites = new List<Site> { new(new ParameterDefinition { Name = "$", Type = "object", Required = true, Properties = target.Parameters }, () => body, _ => { }, "$") };
        foreach (var p in target.Parameters)
        {
            Collect(p, body, p.Name, "$." + p.Name, sites);
        }

        // Hostile things at the top: the comment every trigger accepts, unknown members, a required member removed.
        var top = random.Next(10);
        string what;
        if (top == 0)
        {
            (what, body["comment"]) = Pick(random, ("comment:number", (JsonNode?)5), ("comment:rlo", "ok \u202Egnp.exe"), ("comment:ansi", "\u001b[31mrood"),
                ("comment:too-long", new string('a', 4001)), ("comment:object", new JsonObject { ["a"] = 1 }));
        }
        else
        {
            var site = sites[random.Next(sites.Count)];
            what = site.Path + ":" + Break(site, random);
        }

        var (url, text) = target.Request(body);
        if (what.EndsWith(":deep-parser", StringComparison.Ordinal))
        {
            text = text.Replace("\"__DEEP__\"", new string('[', 40) + new string(']', 40), StringComparison.Ordinal);
        }

        if (what.EndsWith(":raw-1e400", StringComparison.Ordinal) || what.EndsWith(":raw-1e-400", StringComparison.Ordinal) || what.EndsWith(":raw-big", StringComparison.Ordinal))
        {
            var raw = what.EndsWith("raw-1e400", StringComparison.Ordinal) ? "1e400" : what.EndsWith("raw-1e-400", StringComparison.Ordinal) ? "1e-400" : "123456789012345678901234567890.5";
            text = text.Replace("\"__RAW__\"", raw, StringComparison.Ordinal);
        }

        return (url, text, what);
    }

    private sealed record Site(ParameterDefinition Schema, Func<JsonNode?> Get, Action<JsonNode?> Set, string Path);

    private static void Collect(ParameterDefinition p, JsonNode parent, string key, string path, List<Site> sites)
    {
        Func<JsonNode?> get = parent is JsonObject o ? () => o[key] : () => ((JsonArray)parent)[int.Parse(key)];
        Action<JsonNode?> set = parent is JsonObject o2 ? v => o2[key] = v : v => ((JsonArray)parent)[int.Parse(key)] = v;
        sites.Add(new Site(p, get, set, path));
        var value = get();
        if (p.Type == "object" && value is JsonObject obj)
        {
            foreach (var m in p.Properties ?? [])
            {
                Collect(m, obj, m.Name, path + "." + m.Name, sites);
            }
        }
        else if (p.Type == "array" && value is JsonArray arr && p.Items is { } items)
        {
            for (var i = 0; i < arr.Count; i++)
            {
                Collect(items, arr, i.ToString(), $"{path}[{i}]", sites);
            }
        }
    }

    /// <summary>Makes the value at <paramref name="site"/> invalid in one of the ways its schema forbids; returns how.</summary>
    private static string Break(Site site, Random random)
    {
        var p = site.Schema;
        var options = new List<(string What, Action Apply)>();
        void Add(string what, JsonNode? value) => options.Add((what, () => site.Set(value)));

        if (p.Name == "$")
        {
            // The body itself: an unknown member (a forged server fact), a required argument left out.
            options.Add(("unknown-member", () => AddMember(site, "cooperationBonus", true)));
            options.Add(("unknown-member-rlo", () => AddMember(site, "a\u202Eb", 1)));
            foreach (var m in (p.Properties ?? []).Where(m => m.Required))
            {
                options.Add(($"missing:{m.Name}", () => (site.Get() as JsonObject)?.Remove(m.Name)));
            }

            var (topWhat, topApply) = options[random.Next(options.Count)];
            topApply();
            return topWhat;
        }

        // Every value: a wrong type, and nesting deeper than any schema (and deeper than the parser allows).
        Add("deep", Nest(20));
        Add("deep-parser", "__DEEP__");
        switch (p.Type)
        {
            case "string" or "text":
                Add("type:number", 5);
                Add("type:array", new JsonArray("a"));
                Add("too-long", new string('a', (p.MaxLength ?? 20000) + 1));
                Add("ansi", "\u001b[2J\u001b[31mx");
                Add("rlo", "abc\u202Efdp.exe");
                Add("nul", "a\u0000b");
                if (p.Type == "string")
                {
                    Add("crlf", "Jan\r\nBcc: victim@example.org");
                }

                switch (p.Format)
                {
                    case "email":
                        Add("email-list", "a@x.be, b@y.be");
                        Add("email-name", "Jan <jan@genk.be>");
                        Add("email-crlf", "jan@genk.be\r\nBcc: victim@example.org");
                        Add("email-bare", "jan");
                        break;
                    case "authority":
                        Add("nis-short", "7101");
                        Add("nis-long", "710166");
                        Add("nis-name", "genk");
                        Add("nis-space", " 71016");
                        break;
                    case "iban":
                        Add("iban-check", "BE68539007547035");
                        Add("iban-short", "BE00");
                        break;
                    case "phone":
                        Add("phone-text", "call me");
                        break;
                    case "code":
                        Add("code-sql", "2.1'; DROP TABLE dossier;--");
                        Add("code-dot", ".x");
                        break;
                }

                if (p.Values is { Count: > 0 })
                {
                    Add("enum", "not-a-value");
                }

                break;
            case "int" or "decimal":
                Add("type:string", "500");
                Add("type:nan", "NaN");
                Add("type:bool", true);
                Add("raw-1e400", "__RAW__");
                Add("raw-1e-400", "__RAW__");
                Add("raw-big", "__RAW__");
                if (p.Type == "int")
                {
                    Add("fraction", 10.5m);
                }

                if (p.Format == "euro")
                {
                    Add("euro-cents", 600.001m);
                }

                if (p.Min is { } min)
                {
                    Add("below-min", min - 1);
                    Add("minus-1e9", -1e9m);
                }

                if (p.Max is { } max)
                {
                    Add("above-max", max + 1);
                }

                break;
            case "bool":
                Add("type:string", "true");
                Add("type:number", 1);
                break;
            case "date":
                Add("date-feb30", "2023-02-30");
                Add("date-be", "31/12/2025");
                Add("date-1999", "1999-12-31");
                Add("date-number", 20250101);
                break;
            case "datetime":
                Add("datetime-no-offset", "2025-12-31T12:00:00");
                Add("datetime-2101", "2101-01-01T00:00:00Z");
                break;
            case "object":
                Add("type:array", new JsonArray(1));
                Add("type:string", "{}");
                if (p.Properties is not null && p.Additional is null)
                {
                    options.Add(("unknown-member", () => AddMember(site, "cooperationBonus", true)));
                    options.Add(("unknown-member-rlo", () => AddMember(site, "a\u202Eb", 1)));
                }

                if (p.Additional is { } additional)
                {
                    options.Add(("member-name-long", () => AddMember(site, new string('k', 41), 1)));
                    options.Add(("member-name-ansi", () => AddMember(site, "\u001b[31m", 1)));
                    options.Add(("member-value", () => AddMember(site, "2.1", additional.Type is "int" or "decimal" ? "40" : 40)));
                    if (p.MaxItems is { } maxMembers)
                    {
                        options.Add(("too-many-members", () =>
                        {
                            for (var i = 0; i <= maxMembers; i++)
                            {
                                AddMember(site, $"m{i}", Valid(additional, new Random(i)));
                            }
                        }));
                    }
                }

                foreach (var m in (p.Properties ?? []).Where(m => m.Required))
                {
                    options.Add(($"missing:{m.Name}", () => (site.Get() as JsonObject)?.Remove(m.Name)));
                    options.Add(($"null:{m.Name}", () => { if (site.Get() is JsonObject o) { o[m.Name] = null; } }));
                }

                break;
            case "array":
                Add("type:object", new JsonObject { ["0"] = 1 });
                Add("items-junk", new JsonArray(5, null, new JsonObject()));
                if (p.MaxItems is { } maxItems && p.Items is { } item)
                {
                    Add("too-many", new JsonArray(Enumerable.Range(0, maxItems + 1).Select(i => Valid(item, new Random(i))).ToArray()));
                }

                if ((p.UniqueItems || p.UniqueBy is { Count: > 0 }) && site.Get() is JsonArray { Count: > 0 } list)
                {
                    options.Add(("duplicate", () => list.Add(list[0]!.DeepClone())));
                }

                break;
        }

        var (what, apply) = options[random.Next(options.Count)];
        apply();
        return what;
    }

    private static void AddMember(Site site, string name, JsonNode? value)
    {
        if (site.Get() is JsonObject o)
        {
            o[name] = value;
        }
        else
        {
            site.Set(new JsonObject { [name] = value });
        }
    }

    private static JsonNode Nest(int depth)
    {
        JsonNode node = JsonValue.Create(1);
        for (var i = 0; i < depth; i++)
        {
            node = i % 2 == 0 ? new JsonArray(node) : new JsonObject { ["a"] = node };
        }

        return node;
    }

    private static (string, JsonNode?) Pick(Random random, params (string, JsonNode?)[] choices) => choices[random.Next(choices.Length)];

    /// <summary>A valid value of the schema: every declared member, two distinct items in a list (so duplicates can be made).</summary>
    public static JsonNode Valid(ParameterDefinition p, Random random)
    {
        switch (p.Type)
        {
            case "int":
                var lo = (long)(p.Min ?? 0);
                var hi = (long)Math.Min(p.Max ?? lo + 100, lo + 100);
                return JsonValue.Create(random.NextInt64(lo, hi + 1));
            case "decimal":
                var min = p.Min ?? 0;
                return JsonValue.Create(min + (random.Next(0, 10000) / 100m));
            case "bool":
                return JsonValue.Create(random.Next(2) == 0);
            case "date":
                return JsonValue.Create("2025-06-30");
            case "datetime":
                return JsonValue.Create("2025-06-30T12:00:00+02:00");
            case "object":
                var o = new JsonObject();
                foreach (var m in p.Properties ?? [])
                {
                    o[m.Name] = Valid(m, random);
                }

                if (p.Additional is { } additional)
                {
                    o["2.1"] = Valid(additional, random);
                }

                return o;
            case "array":
                var a = new JsonArray();
                if (p.Items is { } items)
                {
                    var count = Math.Min(2, p.MaxItems ?? 2);
                    for (var i = 0; i < count; i++)
                    {
                        var item = Valid(items, random);
                        if (items.Type == "object" && item is JsonObject io)
                        {
                            foreach (var u in p.UniqueBy ?? [])
                            {
                                io[u] = items.Properties!.First(m => m.Name == u).Type == "int" ? JsonValue.Create(i + 1) : JsonValue.Create($"{i + 2}.1");
                            }
                        }
                        else if (items.Type == "string")
                        {
                            item = JsonValue.Create(items.Format == "authority" ? (i == 0 ? "11001" : "11004") : $"{i + 2}.1");
                        }

                        a.Add(item);
                    }
                }

                return a;
            default:
                if (p.Values is { Count: > 0 } values)
                {
                    return JsonValue.Create(values[random.Next(values.Count)]);
                }

                return JsonValue.Create(p.Format switch
                {
                    "email" => "contact@genk.be",
                    "authority" => "71016",
                    "iban" => "BE68 5390 0754 7034",
                    "phone" => "+32 89 65 44 11",
                    "code" => "2.1",
                    _ => "Tekst " + random.Next(1000).ToString(System.Globalization.CultureInfo.InvariantCulture),
                });
        }
    }
}
