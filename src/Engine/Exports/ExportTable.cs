namespace SubsidyEngine.Engine.Exports;

/// <summary>The type of an export column: decides the CSV text and the XLSX cell type and number format.</summary>
public enum ExportColumnType
{
    /// <summary>Free text (neutralised against formula injection).</summary>
    Text,

    /// <summary>Euro amount, <see cref="decimal"/>: CSV <c>1234.56</c>, XLSX a number with a euro format.</summary>
    Money,

    /// <summary>Whole number.</summary>
    Integer,

    /// <summary>Moment, shown in Belgian time: CSV <c>2023-05-27T10:00:00+02:00</c>, XLSX a date-time cell.</summary>
    Moment,
}

/// <summary>One column: its machine name (the CSV header) and type.</summary>
public sealed record ExportColumn(string Name, ExportColumnType Type);

/// <summary>The export kinds: <c>dossiers</c>, <c>awards</c>, <c>payments</c>, <c>recoveries</c>.</summary>
public static class ExportKinds
{
    public const string Dossiers = "dossiers";
    public const string Awards = "awards";
    public const string Payments = "payments";
    public const string Recoveries = "recoveries";

    public static readonly IReadOnlyList<string> All = [Dossiers, Awards, Payments, Recoveries];

    public static bool IsKnown(string? kind) => kind is not null && All.Contains(kind, StringComparer.Ordinal);
}

/// <summary>Filters of an export; null means "any". Visibility (the caller's scope) is applied on top, in SQL.</summary>
public sealed record ExportFilter
{
    /// <summary>Programme id, e.g. <c>plan-samenleven</c> (<c>data.programme</c>).</summary>
    public string? Programme { get; init; }

    /// <summary>Call id within the programme, e.g. <c>2023</c> (<c>data.call.id</c>).</summary>
    public string? Call { get; init; }

    /// <summary>Current state of the dossier.</summary>
    public string? State { get; init; }
}

/// <summary>A finished export: columns and rows, each row one value per column (null = empty cell).</summary>
public sealed record ExportTable(string Kind, IReadOnlyList<ExportColumn> Columns, IReadOnlyList<object?[]> Rows);

/// <summary>The export would exceed <see cref="ExportQueries.MaxRows"/> rows: narrow the filter.</summary>
public sealed class ExportTooLargeException(int max) : Exception($"The export has more than {max} rows; filter on a call or a state.")
{
    public int Max => max;
}
