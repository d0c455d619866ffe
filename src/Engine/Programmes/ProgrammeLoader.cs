using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Workflows.Loading;

namespace SubsidyEngine.Engine.Programmes;

/// <summary>The outcome of loading a programme folder: the programme when there were no problems, and every problem found.</summary>
public sealed record ProgrammeLoadResult(Programme? Programme, IReadOnlyList<LoadProblem> Problems)
{
    /// <summary>True when the folder loaded without problems.</summary>
    public bool Succeeded => Programme is not null && Problems.Count == 0;
}

/// <summary>
/// Loads a programme folder: <c>programme.json</c> and every <c>calls/*.json</c> (format: <c>docs/programme-data.md</c>).
/// Validation collects every problem of every file (with file name and JSON path) before reporting. Other files in the
/// folder (e.g. workflow definitions <c>*.v1.json</c>) are not read.
/// </summary>
public static class ProgrammeLoader
{
    /// <summary>File name of the programme-wide data.</summary>
    public const string ProgrammeFileName = "programme.json";

    /// <summary>Sub-folder holding one file per call, named after the call id.</summary>
    public const string CallsFolderName = "calls";

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
    };

    /// <summary>Loads and validates a programme folder; throws <see cref="ProgrammeDataException"/> listing every problem.</summary>
    public static Programme Load(string folder)
    {
        var result = TryLoad(folder);
        return result.Succeeded ? result.Programme! : throw new ProgrammeDataException(result.Problems);
    }

    /// <summary>Loads and validates a programme folder; never throws for bad data, returns the problems instead.</summary>
    public static ProgrammeLoadResult TryLoad(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var problems = new List<LoadProblem>();
        var programmePath = System.IO.Path.Combine(folder, ProgrammeFileName);
        if (!File.Exists(programmePath))
        {
            problems.Add(new LoadProblem(ProgrammeFileName, "$", $"file not found in '{folder}'"));
            return new ProgrammeLoadResult(null, problems);
        }

        var programmeBytes = File.ReadAllBytes(programmePath);
        var callFiles = Directory.Exists(System.IO.Path.Combine(folder, CallsFolderName))
            ? Directory.GetFiles(System.IO.Path.Combine(folder, CallsFolderName), "*.json")
                .OrderBy(p => p, StringComparer.Ordinal)
                .Select(p => (Name: $"{CallsFolderName}/{System.IO.Path.GetFileName(p)}", Bytes: File.ReadAllBytes(p)))
                .ToList()
            : [];
        return Parse(programmeBytes, callFiles);
    }

    /// <summary>
    /// Parses and validates programme data from memory: the bytes of <c>programme.json</c> and of each call file
    /// (names relative to the programme folder, e.g. <c>calls/2023.json</c>).
    /// </summary>
    public static ProgrammeLoadResult Parse(byte[] programmeJson, IReadOnlyList<(string Name, byte[] Bytes)> callFiles)
    {
        ArgumentNullException.ThrowIfNull(programmeJson);
        ArgumentNullException.ThrowIfNull(callFiles);
        var problems = new List<LoadProblem>();
        var programmeFile = new DataFileVersion(ProgrammeFileName, Sha256Hex(programmeJson));

        using var programmeDocument = ParseDocument(ProgrammeFileName, programmeJson, problems);
        if (programmeDocument is null)
        {
            return new ProgrammeLoadResult(null, problems);
        }
        var root = new JsonDataReader(programmeDocument.RootElement, "$", ProgrammeFileName, problems);
        if (programmeDocument.RootElement.ValueKind != JsonValueKind.Object)
        {
            root.Problem("$", "the file must hold one JSON object");
            return new ProgrammeLoadResult(null, problems);
        }

        var id = root.String("id");
        var name = root.Text("name");
        var administration = root.Text("administration");
        var timeZoneId = root.String("timeZone");
        TimeZoneInfo? timeZone = null;
        if (timeZoneId is not null)
        {
            try
            {
                timeZone = TimeZoneInfo.FindSystemTimeZoneById(timeZoneId);
            }
            catch (TimeZoneNotFoundException)
            {
                root.Problem(root.PathOf("timeZone"), $"unknown time zone '{timeZoneId}'");
            }
        }
        var objectives = ReadObjectives(root);
        var parametersReader = root.Object("parameters");
        var parameters = parametersReader is null ? null : ReadParameters(parametersReader, fallback: null);
        parametersReader?.ReportUnknownProperties();
        root.ReportUnknownProperties();

        var calls = new List<Call>();
        var seenCallIds = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (fileName, bytes) in callFiles)
        {
            var call = ReadCall(fileName, bytes, id ?? "?", objectives, parameters, timeZone, problems);
            if (call is null) continue;
            if (seenCallIds.TryGetValue(call.Id, out var other))
            {
                problems.Add(new LoadProblem(fileName, "$.id", $"call id '{call.Id}' is also used by {other}"));
                continue;
            }
            seenCallIds[call.Id] = fileName;
            calls.Add(call);
        }
        if (callFiles.Count == 0)
        {
            problems.Add(new LoadProblem(CallsFolderName, "$", "a programme needs at least one call file calls/<id>.json"));
        }
        ValidateCallReferences(calls, problems);

        if (problems.Count > 0 || id is null || name is null || administration is null || timeZoneId is null || parameters is null)
        {
            return new ProgrammeLoadResult(null, problems);
        }
        calls.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        var contentHash = ContentSha256([programmeFile, .. calls.Select(c => c.File)]);
        return new ProgrammeLoadResult(
            new Programme(id, name, administration, timeZoneId, objectives.Values.OrderBy(o => o.Number).ToList(), parameters, calls,
                programmeFile, contentHash),
            problems);
    }

    /// <summary>SHA-256 of bytes as lowercase hex.</summary>
    public static string Sha256Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>
    /// The programme's content hash: SHA-256 over the UTF-8 lines <c>relativePath TAB sha256 LF</c> of every file,
    /// programme file first, then the call files ordered by call id. It changes when any file changes.
    /// </summary>
    public static string ContentSha256(IEnumerable<DataFileVersion> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var text = new StringBuilder();
        foreach (var file in files)
        {
            text.Append(file.RelativePath).Append('\t').Append(file.Sha256).Append('\n');
        }
        return Sha256Hex(Encoding.UTF8.GetBytes(text.ToString()));
    }

    private static JsonDocument? ParseDocument(string fileName, byte[] bytes, List<LoadProblem> problems)
    {
        try
        {
            return JsonDocument.Parse(bytes, DocumentOptions);
        }
        catch (JsonException e)
        {
            problems.Add(LoadProblem.FromJson(fileName, e));
            return null;
        }
    }

    private static Dictionary<int, Objective> ReadObjectives(JsonDataReader root)
    {
        var objectives = new Dictionary<int, Objective>();
        foreach (var item in root.Objects("objectives") ?? [])
        {
            var number = item.Int("number");
            var name = item.Text("name");
            item.ReportUnknownProperties();
            if (number is null || name is null) continue;
            if (!objectives.TryAdd(number.Value, new Objective(number.Value, name)))
            {
                item.Problem(item.PathOf("number"), $"objective {number} is defined twice");
            }
        }
        return objectives;
    }

    /// <summary>Reads a parameters object. With a fallback (a call's overrides), missing groups are taken from it.</summary>
    private static ProgrammeParameters? ReadParameters(JsonDataReader reader, ProgrammeParameters? fallback)
    {
        var required = fallback is null;

        EligibilityParameters? eligibility = fallback?.Eligibility;
        if (reader.Object("eligibility", required) is { } e)
        {
            var threshold = e.Long("thresholdNonEu14OriginResidents");
            var region = e.String("referenceRegion");
            var provenance = e.Provenance();
            e.ReportUnknownProperties();
            if (threshold < 0) e.Problem(e.PathOf("thresholdNonEu14OriginResidents"), "must not be negative");
            if (region is not null && region != "arrondissement")
            {
                e.Problem(e.PathOf("referenceRegion"), $"only 'arrondissement' is supported, found '{region}'");
            }
            eligibility = threshold is null || region is null ? null : new EligibilityParameters(threshold.Value, region, provenance);
        }

        BonusDefinition? cooperation = fallback?.CooperationBonus;
        if (reader.Object("cooperationBonus", required) is { } c)
        {
            cooperation = ReadBonus(c, fixedCode: "cooperation",
                new LocalizedText("Samenwerkingsbonus", "Cooperation bonus"));
        }

        IReadOnlyList<BonusDefinition>? others = fallback?.OtherBonuses;
        if (reader.Objects("otherBonuses", required) is { } list)
        {
            var bonuses = new List<BonusDefinition>();
            foreach (var item in list)
            {
                if (ReadBonus(item, fixedCode: null, defaultName: null) is not { } bonus) continue;
                if (bonus.Code == "cooperation" || bonuses.Any(b => b.Code == bonus.Code))
                {
                    item.Problem(item.PathOf("code"), $"bonus code '{bonus.Code}' is used twice");
                    continue;
                }
                bonuses.Add(bonus);
            }
            others = bonuses;
        }

        CoFinancingParameters? coFinancing = fallback?.CoFinancing;
        if (reader.Object("coFinancing", required) is { } f)
        {
            var ratio = f.Decimal("localToFlemishRatio");
            var perUnit = f.Decimal("localEurPerUnit");
            var checkedPer = f.String("checkedPer");
            var provenance = f.Provenance();
            f.ReportUnknownProperties();
            if (ratio < 0) f.Problem(f.PathOf("localToFlemishRatio"), "must not be negative");
            if (perUnit < 0) f.Problem(f.PathOf("localEurPerUnit"), "must not be negative");
            CoFinancingCheck? check = checkedPer switch
            {
                "row" => CoFinancingCheck.Row,
                "total" => CoFinancingCheck.Total,
                null => null,
                _ => null,
            };
            if (checkedPer is not null && check is null) f.Problem(f.PathOf("checkedPer"), $"must be 'row' or 'total', found '{checkedPer}'");
            coFinancing = ratio is null || perUnit is null || check is null
                ? null
                : new CoFinancingParameters(ratio.Value, perUnit.Value, check.Value, provenance);
        }

        ContinuationParameters? continuation = fallback?.Continuation;
        if (reader.Object("continuation", required) is { } n)
        {
            var share = n.Decimal("minimumRealisedShare");
            var motivation = n.Bool("motivationMayReplace") ?? true;
            var provenance = n.Provenance();
            n.ReportUnknownProperties();
            if (share is < 0 or > 1) n.Problem(n.PathOf("minimumRealisedShare"), "must lie between 0 and 1");
            continuation = share is null ? null : new ContinuationParameters(share.Value, motivation, provenance);
        }

        PaymentScheduleParameters? payment = fallback?.PaymentSchedule;
        if (reader.Object("paymentSchedule", required) is { } p)
        {
            var share = p.Decimal("advanceShare");
            var rounding = p.Decimal("advanceRoundingEur");
            var balanceAfter = p.String("balanceAfter");
            var provenance = p.Provenance();
            p.ReportUnknownProperties();
            if (share is < 0 or > 1) p.Problem(p.PathOf("advanceShare"), "must lie between 0 and 1");
            if (rounding <= 0) p.Problem(p.PathOf("advanceRoundingEur"), "must be more than 0 (e.g. 0.01 for the cent, 1 for the euro)");
            payment = share is null || rounding is null || balanceAfter is null
                ? null
                : new PaymentScheduleParameters(share.Value, rounding.Value, balanceAfter, provenance);
        }

        RecoveryParameters? recovery = fallback?.Recovery;
        if (reader.Object("recovery", required) is { } r)
        {
            var days = r.Int("preInformationDays");
            var provenance = r.Provenance();
            r.ReportUnknownProperties();
            if (days < 0) r.Problem(r.PathOf("preInformationDays"), "must not be negative");
            recovery = days is null ? null : new RecoveryParameters(days.Value, provenance);
        }

        AllocationParameters? allocation = fallback?.Allocation;
        if (reader.Object("allocation", required) is { } a)
        {
            var method = a.String("method");
            var rounding = a.Decimal("roundingEur");
            var bonusesFirst = a.Bool("bonusesFirst") ?? true;
            var provenance = a.Provenance();
            a.ReportUnknownProperties();
            if (method is not null && method != "priority-rounds")
            {
                a.Problem(a.PathOf("method"), $"only 'priority-rounds' is implemented, found '{method}'");
            }
            if (rounding <= 0) a.Problem(a.PathOf("roundingEur"), "must be more than 0 (e.g. 1 for the euro)");
            allocation = method is null || rounding is null ? null : new AllocationParameters(method, rounding.Value, bonusesFirst, provenance);
        }

        return eligibility is null || cooperation is null || others is null || coFinancing is null || continuation is null
               || payment is null || recovery is null || allocation is null
            ? null
            : new ProgrammeParameters(eligibility, cooperation, others, coFinancing, continuation, payment, recovery, allocation);
    }

    private static BonusDefinition? ReadBonus(JsonDataReader reader, string? fixedCode, LocalizedText? defaultName)
    {
        var code = fixedCode ?? reader.String("code");
        var name = defaultName is null ? reader.Text("name") : reader.Text("name", required: false) ?? defaultName;
        var amount = reader.Decimal("eurPerProjectYear");
        var coFinancingRequired = reader.Bool("coFinancingRequired") ?? false;
        var provenance = reader.Provenance();
        reader.ReportUnknownProperties();
        if (amount < 0) reader.Problem(reader.PathOf("eurPerProjectYear"), "must not be negative");
        return code is null || name is null || amount is null
            ? null
            : new BonusDefinition(code, name, amount.Value, coFinancingRequired, provenance);
    }

    private static Call? ReadCall(
        string fileName, byte[] bytes, string programmeId, IReadOnlyDictionary<int, Objective> objectives,
        ProgrammeParameters? programmeParameters, TimeZoneInfo? timeZone, List<LoadProblem> problems)
    {
        var before = problems.Count;
        using var document = ParseDocument(fileName, bytes, problems);
        if (document is null) return null;
        var root = new JsonDataReader(document.RootElement, "$", fileName, problems);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            root.Problem("$", "the file must hold one JSON object");
            return null;
        }

        var id = root.String("id");
        var expectedId = System.IO.Path.GetFileNameWithoutExtension(fileName);
        if (id is not null && id != expectedId)
        {
            root.Problem(root.PathOf("id"), $"call id '{id}' must match the file name '{expectedId}.json'");
        }
        var year = root.Int("year");
        if (year <= 0) root.Problem(root.PathOf("year"), "must be 1 or more");
        var name = root.Text("name");
        var window = ReadWindow(root, timeZone);
        var period = ReadPeriod(root);
        var projectYears = root.Int("projectYears", required: false) ?? 1;
        if (projectYears <= 0) root.Problem(root.PathOf("projectYears"), "must be 1 or more");
        var extensions = ReadExtensions(root, period);
        var budget = ReadBudget(root);
        var decision = root.Date("governmentDecision", required: false);
        var eligibility = ReadCallEligibility(root);
        root.String("catalogueNote", required: false);
        var actions = ReadActions(root, objectives);
        var parameters = programmeParameters;
        if (root.Object("parameters", required: false) is { } overrides)
        {
            parameters = programmeParameters is null ? null : ReadParameters(overrides, programmeParameters);
            overrides.ReportUnknownProperties();
        }
        root.ReportUnknownProperties();

        if (window is not null && period is not null && window.Deadline.Date > period.Start.ToDateTime(TimeOnly.MinValue))
        {
            root.Problem(root.PathOf("applicationWindow.deadline"), "the application deadline falls after the start of the project period");
        }

        if (problems.Count > before || id is null || year is null || name is null || window is null || period is null
            || budget is null || eligibility is null || actions is null || parameters is null)
        {
            return null;
        }
        return new Call(programmeId, id, year.Value, name, window, period, extensions, projectYears, budget, decision, eligibility,
            actions, parameters, new DataFileVersion(fileName, Sha256Hex(bytes)));
    }

    private static ApplicationWindow? ReadWindow(JsonDataReader root, TimeZoneInfo? timeZone)
    {
        var reader = root.Object("applicationWindow");
        if (reader is null) return null;
        var opens = reader.Instant("opens");
        var deadline = reader.Instant("deadline");
        var original = reader.Instant("originalDeadline", required: false);
        var provenance = reader.Provenance();
        reader.ReportUnknownProperties();
        foreach (var (field, instant) in new[] { ("opens", opens), ("deadline", deadline), ("originalDeadline", original) })
        {
            if (instant is { } value && timeZone is not null && timeZone.GetUtcOffset(value) != value.Offset)
            {
                reader.Problem(reader.PathOf(field),
                    $"offset {value:zzz} is not the {timeZone.Id} offset on that date ({FormatOffset(timeZone.GetUtcOffset(value))})");
            }
        }
        if (opens is not null && deadline is not null && opens >= deadline)
        {
            reader.Problem(reader.PathOf("deadline"), $"the deadline {deadline:O} must come after the opening {opens:O}");
        }
        if (opens is not null && original is not null && opens >= original)
        {
            reader.Problem(reader.PathOf("originalDeadline"), "the original deadline must come after the opening");
        }
        return opens is null || deadline is null ? null : new ApplicationWindow(opens.Value, deadline.Value, original, provenance);
    }

    private static string FormatOffset(TimeSpan offset) =>
        (offset < TimeSpan.Zero ? "-" : "+") + offset.Duration().ToString(@"hh\:mm", CultureInfo.InvariantCulture);

    private static DateRange? ReadPeriod(JsonDataReader root)
    {
        var reader = root.Object("projectPeriod");
        if (reader is null) return null;
        var start = reader.Date("start");
        var end = reader.Date("end");
        reader.ReportUnknownProperties();
        if (start is not null && end is not null && start > end)
        {
            reader.Problem(reader.PathOf("end"), "the project period ends before it starts");
            return null;
        }
        return start is null || end is null ? null : new DateRange(start.Value, end.Value);
    }

    private static List<ProjectExtension> ReadExtensions(JsonDataReader root, DateRange? period)
    {
        var extensions = new List<ProjectExtension>();
        var previousEnd = period?.End;
        foreach (var item in root.Objects("extensions", required: false) ?? [])
        {
            var end = item.Date("end");
            var money = item.Decimal("additionalBudgetEur");
            var provenance = item.Provenance();
            item.ReportUnknownProperties();
            if (money < 0) item.Problem(item.PathOf("additionalBudgetEur"), "must not be negative");
            if (end is not null && previousEnd is not null && end <= previousEnd)
            {
                item.Problem(item.PathOf("end"), $"an extension must end after {previousEnd:yyyy-MM-dd}");
            }
            if (end is null || money is null) continue;
            extensions.Add(new ProjectExtension(end.Value, money.Value, provenance));
            previousEnd = end;
        }
        return extensions;
    }

    private static CallBudget? ReadBudget(JsonDataReader root)
    {
        var reader = root.Object("budget");
        if (reader is null) return null;
        var eur = reader.Decimal("eur");
        var awarded = reader.Decimal("awardedEur", required: false);
        var provenance = reader.Provenance();
        reader.ReportUnknownProperties();
        if (eur < 0) reader.Problem(reader.PathOf("eur"), "must not be negative");
        if (awarded < 0) reader.Problem(reader.PathOf("awardedEur"), "must not be negative");
        if (awarded is not null && eur is not null && awarded > eur)
        {
            reader.Problem(reader.PathOf("awardedEur"), "the awarded total exceeds the budget");
        }
        return eur is null ? null : new CallBudget(eur.Value, awarded, provenance);
    }

    private static CallEligibility? ReadCallEligibility(JsonDataReader root)
    {
        var reader = root.Object("eligibility");
        if (reader is null) return null;
        var kinds = new List<AuthorityKind>();
        var index = 0;
        foreach (var text in reader.Strings("eligibleKinds") ?? [])
        {
            if (AuthorityKinds.TryParse(text, out var kind))
            {
                kinds.Add(kind);
            }
            else
            {
                reader.Problem($"{reader.PathOf("eligibleKinds")}[{index.ToString(CultureInfo.InvariantCulture)}]",
                    $"unknown authority kind '{text}' (municipality, vgc, de-rand)");
            }
            index++;
        }
        var excluded = new List<ExcludedAuthority>();
        foreach (var item in reader.Objects("excludedAuthorities", required: false) ?? [])
        {
            var id = item.String("id");
            var reason = item.Text("reason");
            item.ReportUnknownProperties();
            if (id is null || reason is null) continue;
            if (excluded.Any(x => x.AuthorityId == id))
            {
                item.Problem(item.PathOf("id"), $"authority '{id}' is excluded twice");
                continue;
            }
            excluded.Add(new ExcludedAuthority(id, reason));
        }
        var restricted = reader.String("restrictedToPreviousSubmittersOf", required: false);
        var policyText = reader.String("newAuthoritiesMayJoin", required: false);
        var policy = NewAuthorityPolicy.ExistingCooperations;
        switch (policyText)
        {
            case null or "existing-cooperations":
                break;
            case "any-previous-application":
                policy = NewAuthorityPolicy.AnyPreviousApplication;
                break;
            default:
                reader.Problem(reader.PathOf("newAuthoritiesMayJoin"),
                    $"must be 'existing-cooperations' or 'any-previous-application', found '{policyText}'");
                break;
        }
        if (policyText is not null && restricted is null)
        {
            reader.Problem(reader.PathOf("newAuthoritiesMayJoin"), "only applies together with restrictedToPreviousSubmittersOf");
        }
        var provenance = reader.Provenance();
        reader.ReportUnknownProperties();
        if (kinds.Count == 0) reader.Problem(reader.PathOf("eligibleKinds"), "at least one authority kind must be eligible");
        return new CallEligibility(kinds, excluded, restricted, policy, provenance);
    }

    private static List<ActionDefinition>? ReadActions(JsonDataReader root, IReadOnlyDictionary<int, Objective> objectives)
    {
        var items = root.Objects("actions");
        if (items is null) return null;
        var actions = new List<ActionDefinition>();
        var codes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var code = item.String("code");
            var objectiveNumber = item.Int("objective");
            var group = item.String("group", required: false);
            var name = item.Text("name");
            var targetGroup = item.Text("targetGroup", required: false);
            var kpiUnit = item.Text("kpiUnit");
            var funded = item.Bool("funded", required: true);
            var rates = new List<RateChange>();
            var ratesItems = item.Objects("rates", required: funded == true);
            var rateIndex = 0;
            foreach (var rate in ratesItems ?? [])
            {
                var from = rate.Date("from", required: false);
                var eur = rate.Decimal("eurPerUnit");
                var note = rate.String("note", required: false);
                rate.ReportUnknownProperties();
                if (eur < 0) rate.Problem(rate.PathOf("eurPerUnit"), $"a rate must not be negative, found {eur}");
                if (rateIndex == 0 && from is not null)
                {
                    rate.Problem(rate.PathOf("from"), "the first rate must have no 'from' date (it applies from the start)");
                }
                if (rateIndex > 0 && from is null)
                {
                    rate.Problem(rate.PathOf("from"), "every rate after the first needs a 'from' date");
                }
                if (rateIndex > 0 && from is not null && rates.Count > 0 && rates[^1].From is { } previous && from <= previous)
                {
                    rate.Problem(rate.PathOf("from"), $"rates must be in date order: {from:yyyy-MM-dd} is not after {previous:yyyy-MM-dd}");
                }
                if (eur is not null) rates.Add(new RateChange(from, eur.Value, note));
                rateIndex++;
            }
            var maximum = item.Int("maximumReach", required: funded == true);
            var provenance = item.Provenance();
            item.ReportUnknownProperties();

            if (funded == true && ratesItems is { Count: 0 }) item.Problem(item.PathOf("rates"), "a funded action needs at least one rate");
            if (funded == false && ratesItems is { Count: > 0 }) item.Problem(item.PathOf("rates"), "an unfunded action carries no rates");
            if (maximum is not null && maximum <= 0) item.Problem(item.PathOf("maximumReach"), "must be 1 or more");
            Objective? objective = null;
            if (objectiveNumber is not null && !objectives.TryGetValue(objectiveNumber.Value, out objective))
            {
                item.Problem(item.PathOf("objective"), $"objective {objectiveNumber} is not defined in {ProgrammeFileName}");
            }
            if (code is not null)
            {
                if (codes.TryGetValue(code, out var firstPath))
                {
                    item.Problem(item.PathOf("code"), $"duplicate action code '{code}' (first at {firstPath})");
                    continue;
                }
                codes[code] = item.Path;
            }
            if (code is null || objective is null || name is null || kpiUnit is null || funded is null) continue;
            actions.Add(new ActionDefinition(code, objective, group, name, targetGroup, kpiUnit, funded.Value, rates, maximum, provenance));
        }
        return actions;
    }

    private static void ValidateCallReferences(List<Call> calls, List<LoadProblem> problems)
    {
        foreach (var call in calls)
        {
            if (call.Eligibility.RestrictedToPreviousSubmittersOf is not { } previousId) continue;
            var previous = calls.FirstOrDefault(c => c.Id == previousId);
            if (previous is null)
            {
                problems.Add(new LoadProblem(call.File.RelativePath, "$.eligibility.restrictedToPreviousSubmittersOf",
                    $"refers to call '{previousId}', which does not exist"));
            }
            else if (previous.Year >= call.Year)
            {
                problems.Add(new LoadProblem(call.File.RelativePath, "$.eligibility.restrictedToPreviousSubmittersOf",
                    $"refers to call '{previousId}', which is not an earlier project year"));
            }
        }
    }
}
