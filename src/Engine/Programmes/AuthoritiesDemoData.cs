using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CsvHelper;
using SubsidyEngine.Engine.Programmes.Model;

namespace SubsidyEngine.Engine.Programmes;

/// <summary>
/// Builds the DEMO authority register <c>data/authorities/flemish-authorities-demo.csv</c> from the 300 Flemish
/// municipalities of 2020 (<c>data/authorities/flemish-municipalities-2020.csv</c>, Statbel via
/// vandenbroucke/belgian_municipalities) plus the VGC and vzw De Rand.
/// <para>
/// No per-municipality count of residents of non-EU-14 origin was found, so the counts are <b>ILLUSTRATIVE</b>,
/// derived deterministically (no randomness, decimal arithmetic):
/// </para>
/// <list type="number">
/// <item>a share of residents with foreign roots: the figure from the seed documents for the five anchored
/// municipalities (Antwerp 56%, Genk 59%, Turnhout 39.5%, Sint-Niklaas 34.6%, Lier 24.5% + 9.5% = 34%); otherwise a
/// share by size (&lt;10k 8%, &lt;20k 12%, &lt;35k 30%, &lt;60k 34%, &lt;100k 36%, else 40%) times a factor for the
/// arrondissement (Brussels periphery high, Westhoek low) times a spread of 0.80-1.20 taken from the SHA-256 of the NIS
/// code, capped at 75%;</item>
/// <item>the non-EU-14 part of that: 85%;</item>
/// <item>count = inhabitants x share x 85%, rounded down.</item>
/// </list>
/// <para>
/// The size shares are tuned so that about 50-60 municipalities exceed 7,500 alone, as the programme's year-2
/// figures suggest (59 submitters including cooperations); the Flemish total is then about 23% of residents, above
/// what the sources suggest for non-EU-14 origin. Do not use these counts for anything but demos and tests.
/// </para>
/// </summary>
public static class AuthoritiesDemoData
{
    /// <summary>The VGC's id.</summary>
    public const string VgcId = "VGC";

    /// <summary>vzw De Rand's id.</summary>
    public const string DeRandId = "DE-RAND";

    /// <summary>NIS codes of the six facility municipalities around Brussels.</summary>
    public static readonly IReadOnlyList<string> FacilityMunicipalities = ["23098", "23099", "23100", "23101", "23102", "23103"];

    /// <summary>The anchored foreign-roots shares from the seed documents, by NIS code.</summary>
    public static readonly IReadOnlyDictionary<string, decimal> AnchoredForeignRootsShare = new Dictionary<string, decimal>
    {
        ["11002"] = 0.56m,  // Antwerpen 56%
        ["71016"] = 0.59m,  // Genk 58.4-59.6%
        ["13040"] = 0.395m, // Turnhout 39.5%
        ["46021"] = 0.346m, // Sint-Niklaas 34.6%
        ["12021"] = 0.34m,  // Lier 24.5% foreign-born Belgians + 9.5% foreign nationals
    };

    /// <summary>Multiplier per arrondissement (illustrative: high around Brussels and in the Limburg mining area, low in the Westhoek).</summary>
    public static readonly IReadOnlyDictionary<string, decimal> ArrondissementFactor = new Dictionary<string, decimal>
    {
        ["Halle-Vilvoorde"] = 1.45m, ["Antwerpen"] = 1.15m, ["Mechelen"] = 1.10m, ["Leuven"] = 1.00m, ["Gent"] = 1.00m,
        ["Hasselt"] = 1.05m, ["Maaseik"] = 1.20m, ["Tongeren"] = 1.00m, ["Turnhout"] = 0.90m, ["Aalst"] = 0.95m,
        ["Dendermonde"] = 0.85m, ["Sint-Niklaas"] = 0.90m, ["Eeklo"] = 0.75m, ["Oudenaarde"] = 0.70m, ["Brugge"] = 0.75m,
        ["Kortrijk"] = 0.80m, ["Ieper"] = 0.65m, ["Diksmuide"] = 0.55m, ["Veurne"] = 0.65m, ["Oostende"] = 0.80m,
        ["Roeselare"] = 0.70m, ["Tielt"] = 0.65m,
    };

    /// <summary>Part of the residents with foreign roots taken to be of non-EU-14 origin (illustrative).</summary>
    public const decimal NonEu14PartOfForeignRoots = 0.85m;

    /// <summary>The comment lines at the top of the generated file.</summary>
    public static readonly IReadOnlyList<string> HeaderComments =
    [
        "DEMO DATA. Flemish authorities for Plan Samenleven demos and tests.",
        "id, name, arrondissement, province, inhabitants: Statbel 2020 (vandenbroucke/belgian_municipalities, data/2020).",
        "non_eu14_origin_residents: ILLUSTRATIVE counts, not statistics. No per-municipality source was found; they are derived",
        "deterministically by SubsidyEngine.Engine.Programmes.AuthoritiesDemoData (anchored on Antwerp 56%, Genk 59%,",
        "Turnhout 39.5%, Sint-Niklaas 34.6%, Lier 34% foreign roots) - see docs/programme-data.md. VGC and DE-RAND figures are",
        "illustrative too. Contact e-mails and addresses are placeholders. iban: ILLUSTRATIVE account numbers (valid check",
        "digits, bank code 000, derived from the id), not the authorities' accounts. Regenerate: REGENERATE_DEMO_DATA=1 dotnet test",
        "tests/Rules.Tests --filter AuthoritiesDemoDataTests",
    ];

    /// <summary>Reads the municipalities CSV (<c>nis_code,name,arrondissement,province,inhabitants</c>) and derives the demo register, ordered by id.</summary>
    public static IReadOnlyList<Authority> Generate(TextReader municipalitiesCsv)
    {
        ArgumentNullException.ThrowIfNull(municipalitiesCsv);
        using var csv = CsvReader.Create(municipalitiesCsv, new CsvReaderOptions { Separator = ',' }, leaveOpen: true);
        var authorities = new List<Authority>();
        while (csv.Read())
        {
            var nis = csv.GetString("nis_code")!.Trim();
            var name = csv.GetString("name")!.Trim();
            var arrondissement = csv.GetString("arrondissement")!.Trim();
            var province = csv.GetString("province")!.Trim();
            var inhabitants = long.Parse(csv.GetString("inhabitants")!, NumberStyles.None, CultureInfo.InvariantCulture);
            var count = IllustrativeNonEu14Count(nis, arrondissement, inhabitants);
            authorities.Add(new Authority(nis, name, AuthorityKind.Municipality, arrondissement, province, inhabitants, count,
                FacilityMunicipalities.Contains(nis), PlaceholderEmail(nis), $"Gemeentehuis {name} (fictief adres)", IllustrativeIban(nis)));
        }

        // Brussels-Capital Region, 1 January 2020 (Statbel); 45% of non-EU-14 origin is ILLUSTRATIVE.
        const long brusselsInhabitants = 1_218_255;
        authorities.Add(new Authority(VgcId, "Vlaamse Gemeenschapscommissie", AuthorityKind.Vgc, "Brussel-Hoofdstad",
            "Brussels Hoofdstedelijk Gewest", brusselsInhabitants, (long)decimal.Floor(brusselsInhabitants * 0.45m), false,
            PlaceholderEmail("vgc"), "Emile Jacqmainlaan 135, 1000 Brussel (fictief adres)", IllustrativeIban("90001")));
        // vzw De Rand counts no residents of its own: it is eligible together with the facility municipalities.
        authorities.Add(new Authority(DeRandId, "vzw De Rand", AuthorityKind.DeRand, "Halle-Vilvoorde", "Vlaams-Brabant", 0, 0,
            false, PlaceholderEmail("de-rand"), "Kaasmarkt 75, 1780 Wemmel (fictief adres)", IllustrativeIban("90002")));
        return authorities.OrderBy(a => a.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// An ILLUSTRATIVE Belgian IBAN for a demo authority: bank code 000 and the 5-digit id as the account, with valid
    /// national and IBAN check digits (so payment letters show a well-formed account), never a real account.
    /// </summary>
    public static string IllustrativeIban(string fiveDigits) =>
        Workflows.Formats.Iban.Belgian(long.Parse(fiveDigits, NumberStyles.None, CultureInfo.InvariantCulture));

    /// <summary>The illustrative non-EU-14-origin count of one municipality (see the class remarks).</summary>
    public static long IllustrativeNonEu14Count(string nisCode, string arrondissement, long inhabitants)
    {
        ArgumentNullException.ThrowIfNull(nisCode);
        decimal share;
        if (AnchoredForeignRootsShare.TryGetValue(nisCode, out var anchored))
        {
            share = anchored;
        }
        else
        {
            var bySize = inhabitants switch
            {
                < 10_000 => 0.08m,
                < 20_000 => 0.12m,
                < 35_000 => 0.30m,
                < 60_000 => 0.34m,
                < 100_000 => 0.36m,
                _ => 0.40m,
            };
            var factor = ArrondissementFactor.GetValueOrDefault(arrondissement, 1m);
            share = Math.Min(bySize * factor * Spread(nisCode), 0.75m);
        }
        return (long)decimal.Floor(inhabitants * share * NonEu14PartOfForeignRoots);
    }

    /// <summary>A deterministic factor between 0.80 and 1.20 from the first two bytes of SHA-256(NIS code).</summary>
    private static decimal Spread(string nisCode)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(nisCode));
        var value = ((hash[0] * 256) + hash[1]) % 1001;
        return 0.80m + (0.40m * value / 1000m);
    }

    private static string PlaceholderEmail(string id) => $"plan-samenleven.{id.ToLowerInvariant()}@example.invalid";

    /// <summary>The demo CSV text for these authorities, with the header comments (LF line ends).</summary>
    public static string ToCsv(IReadOnlyList<Authority> authorities)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        AuthorityCsv.Write(writer, authorities, HeaderComments);
        return writer.ToString();
    }
}
