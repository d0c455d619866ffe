using System.Globalization;
using CsvHelper;
using SubsidyEngine.Engine.Programmes.Model;
using SubsidyEngine.Workflows.Loading;

namespace SubsidyEngine.Engine.Programmes;

/// <summary>The outcome of an authority CSV import: the register when every line was valid, and every problem found.</summary>
public sealed record AuthorityImportResult(AuthorityRegister? Register, IReadOnlyList<LoadProblem> Problems)
{
    /// <summary>True when every line was valid.</summary>
    public bool Succeeded => Register is not null && Problems.Count == 0;
}

/// <summary>
/// Reads and writes the authority register CSV (UTF-8, comma-separated, header line, lines starting with <c>#</c> are
/// comments). Columns: <c>id,name,kind,arrondissement,province,inhabitants,non_eu14_origin_residents,
/// facility_municipality,contact_email,address</c> and the optional <c>iban</c> (the account payments go to, mod-97
/// checked). Every bad line is reported with its line number and column.
/// </summary>
public static class AuthorityCsv
{
    /// <summary>The header, in column order.</summary>
    public static readonly IReadOnlyList<string> Columns =
    [
        "id", "name", "kind", "arrondissement", "province", "inhabitants", "non_eu14_origin_residents",
        "facility_municipality", "contact_email", "address", "iban",
    ];

    /// <summary>Columns a file may leave out (older registers).</summary>
    public static readonly IReadOnlySet<string> OptionalColumns = new HashSet<string>(["iban"], StringComparer.Ordinal);

    /// <summary>Imports a CSV file; throws <see cref="ProgrammeDataException"/> listing every bad line.</summary>
    public static AuthorityRegister Load(string path)
    {
        var result = TryLoad(path);
        return result.Succeeded ? result.Register! : throw new ProgrammeDataException(result.Problems);
    }

    /// <summary>Imports a CSV file, returning the problems instead of throwing.</summary>
    public static AuthorityImportResult TryLoad(string path)
    {
        using var reader = new StreamReader(path);
        return Parse(reader, Path.GetFileName(path));
    }

    /// <summary>Imports CSV text; <paramref name="sourceName"/> names the source in problems.</summary>
    public static AuthorityImportResult Parse(TextReader text, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(text);
        var problems = new List<LoadProblem>();
        var authorities = new List<Authority>();
        var seen = new Dictionary<string, long>(StringComparer.Ordinal);
        var options = new CsvReaderOptions
        {
            Separator = ',',
            CommentPrefix = '#',
            TrimWhitespace = true,
            TrackLineNumbers = true,
        };
        using var csv = CsvReader.Create(text, options, leaveOpen: true);
        var header = csv.Headers ?? [];
        var missing = Columns.Where(c => !OptionalColumns.Contains(c) && !header.Contains(c, StringComparer.Ordinal)).ToList();
        var hasIban = header.Contains("iban", StringComparer.Ordinal);
        if (header.Count == 0 || missing.Count > 0)
        {
            problems.Add(new LoadProblem(sourceName, "header",
                $"missing column(s): {string.Join(", ", missing)}; expected {string.Join(",", Columns)}"));
            return new AuthorityImportResult(null, problems);
        }

        while (csv.Read())
        {
            var lineNumber = csv.LineNumber;
            var line = $"line {lineNumber.ToString(CultureInfo.InvariantCulture)}";
            var lineProblems = new List<string>();
            string Field(string column, bool required = true)
            {
                var value = csv.GetString(column)?.Trim() ?? "";
                if (required && value.Length == 0) lineProblems.Add($"column {column}: is empty");
                return value;
            }
            long Count(string column)
            {
                var value = Field(column);
                if (value.Length == 0) return 0;
                if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
                {
                    lineProblems.Add($"column {column}: '{value}' is not a whole number >= 0");
                }
                return number;
            }

            var id = Field("id");
            var name = Field("name");
            var kindText = Field("kind");
            if (kindText.Length > 0 && !AuthorityKinds.TryParse(kindText, out _))
            {
                lineProblems.Add($"column kind: '{kindText}' is not one of municipality, vgc, de-rand");
            }
            AuthorityKinds.TryParse(kindText, out var kind);
            var arrondissement = Field("arrondissement");
            var province = Field("province");
            var inhabitants = Count("inhabitants");
            var nonEu14 = Count("non_eu14_origin_residents");
            var facilityText = Field("facility_municipality");
            var facility = facilityText switch
            {
                "true" or "yes" or "1" => true,
                "false" or "no" or "0" => false,
                _ => (bool?)null,
            };
            if (facilityText.Length > 0 && facility is null)
            {
                lineProblems.Add($"column facility_municipality: '{facilityText}' is not true or false");
            }
            var email = Field("contact_email", required: false);
            if (email.Length > 0 && !email.Contains('@', StringComparison.Ordinal))
            {
                lineProblems.Add($"column contact_email: '{email}' is not an e-mail address");
            }
            var address = Field("address", required: false);
            var iban = hasIban ? Field("iban", required: false) : string.Empty;
            if (iban.Length > 0 && !Workflows.Formats.Iban.IsValid(iban))
            {
                lineProblems.Add($"column iban: '{iban}' is not a valid IBAN (check digits, mod 97)");
            }
            if (kind == AuthorityKind.Municipality && id.Length > 0 && !(id.Length == 5 && id.All(char.IsAsciiDigit)))
            {
                lineProblems.Add($"column id: a municipality's id is its 5-digit NIS code, found '{id}'");
            }
            if (nonEu14 > inhabitants && kind != AuthorityKind.DeRand)
            {
                lineProblems.Add($"column non_eu14_origin_residents: {nonEu14} exceeds the {inhabitants} inhabitants");
            }
            if (id.Length > 0)
            {
                if (seen.TryGetValue(id, out var firstLine))
                {
                    lineProblems.Add($"column id: '{id}' already used on line {firstLine}");
                }
                else
                {
                    seen[id] = lineNumber;
                }
            }

            if (lineProblems.Count > 0)
            {
                problems.AddRange(lineProblems.Select(p => new LoadProblem(sourceName, line, p)));
                continue;
            }
            authorities.Add(new Authority(id, name, kind, arrondissement, province, inhabitants, nonEu14, facility!.Value, email,
                address, iban.Length > 0 ? Workflows.Formats.Iban.Format(iban) : null));
        }
        return problems.Count > 0
            ? new AuthorityImportResult(null, problems)
            : new AuthorityImportResult(new AuthorityRegister(authorities), problems);
    }

    /// <summary>Writes authorities as CSV (header, then one line per authority); <paramref name="commentLines"/> go first, each prefixed with <c># </c>.</summary>
    public static void Write(TextWriter writer, IEnumerable<Authority> authorities, IEnumerable<string> commentLines)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(authorities);
        ArgumentNullException.ThrowIfNull(commentLines);
        foreach (var comment in commentLines)
        {
            writer.Write("# ");
            writer.Write(comment);
            writer.Write('\n');
        }
        using var csv = CsvWriter.Create(writer, new CsvWriterOptions { NewLine = "\n" }, leaveOpen: true);
        csv.WriteHeader([.. Columns]);
        foreach (var a in authorities)
        {
            csv.WriteRecord(
            [
                a.Id, a.Name, a.Kind.ToDataString(), a.Arrondissement, a.Province,
                a.Inhabitants.ToString(CultureInfo.InvariantCulture), a.NonEu14OriginResidents.ToString(CultureInfo.InvariantCulture),
                a.IsFacilityMunicipality ? "true" : "false", a.ContactEmail, a.Address, a.Iban ?? string.Empty,
            ]);
        }
        csv.Flush();
    }
}
