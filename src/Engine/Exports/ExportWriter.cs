using System.Globalization;
using System.Text;
using ClosedXML.Excel;
using SubsidyEngine.Templates;

namespace SubsidyEngine.Engine.Exports;

/// <summary>
/// Writes an <see cref="ExportTable"/> as CSV or XLSX. CSV: UTF-8 with BOM (so Excel detects the encoding),
/// <c>;</c> as separator (the Belgian Excel habit, and no clash with the decimal point), CRLF line ends, RFC 4180
/// quoting, amounts with an invariant decimal point and no thousands separator (<c>1234.56</c>), moments in ISO 8601
/// with the Belgian offset. XLSX: one sheet, a bold frozen header, amounts as numeric cells with a euro format,
/// moments as date-time cells in Belgian time, text as text cells.
/// </summary>
/// <remarks>
/// Formula injection (CSV injection, OWASP): a text cell that starts with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, a tab
/// or a carriage return is prefixed with an apostrophe in both formats, so a spreadsheet shows it as text and never
/// evaluates it. Numbers and moments are written by us and never neutralised.
/// </remarks>
public static class ExportWriter
{
    public const string CsvContentType = "text/csv; charset=utf-8";

    public const string XlsxContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    public const char Separator = ';';

    /// <summary>Euro number format of the XLSX amount cells (two decimals, thousands grouped, euro sign).</summary>
    public const string EuroFormat = "#,##0.00 \"€\"";

    /// <summary>The apostrophe-prefixed text when <paramref name="value"/> could be read as a formula.</summary>
    public static string Neutralise(string value) =>
        value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + value : value;

    public static async Task WriteCsvAsync(ExportTable table, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        await using var writer = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true), 64 * 1024, leaveOpen: true) { NewLine = "\r\n" };
        await writer.WriteLineAsync(string.Join(Separator, table.Columns.Select(c => c.Name)).AsMemory(), cancellationToken);
        var line = new StringBuilder();
        foreach (var row in table.Rows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            line.Clear();
            for (var i = 0; i < table.Columns.Count; i++)
            {
                if (i > 0)
                {
                    line.Append(Separator);
                }

                line.Append(Quote(CsvText(table.Columns[i].Type, row[i])));
            }

            await writer.WriteLineAsync(line, cancellationToken);
        }

        await writer.FlushAsync(cancellationToken);
    }

    public static void WriteXlsx(ExportTable table, Stream output)
    {
        ArgumentNullException.ThrowIfNull(table);
        using var workbook = new XLWorkbook();
        var sheet = workbook.Worksheets.Add(table.Kind);
        for (var c = 0; c < table.Columns.Count; c++)
        {
            var header = sheet.Cell(1, c + 1);
            header.SetValue(table.Columns[c].Name);
            header.Style.Font.Bold = true;
        }

        for (var r = 0; r < table.Rows.Count; r++)
        {
            var row = table.Rows[r];
            for (var c = 0; c < table.Columns.Count; c++)
            {
                var cell = sheet.Cell(r + 2, c + 1);
                switch (row[c])
                {
                    case null:
                        break;
                    case decimal m:
                        cell.SetValue(m);
                        cell.Style.NumberFormat.Format = EuroFormat;
                        break;
                    case int n:
                        cell.SetValue(n);
                        break;
                    case DateTimeOffset at:
                        cell.SetValue(NlBeFormat.ToBelgianTime(at));
                        cell.Style.NumberFormat.Format = "yyyy-mm-dd hh:mm";
                        break;
                    default:
                        cell.SetValue(Neutralise(Convert.ToString(row[c], CultureInfo.InvariantCulture) ?? string.Empty));
                        break;
                }
            }
        }

        sheet.SheetView.FreezeRows(1);
        for (var c = 0; c < table.Columns.Count; c++)
        {
            // A fixed width: AdjustToContents measures fonts through System.Drawing, which needs libgdiplus on Linux.
            sheet.Column(c + 1).Width = table.Columns[c].Type == ExportColumnType.Text ? 24 : 16;
        }

        workbook.SaveAs(output);
    }

    private static string CsvText(ExportColumnType type, object? value) => value switch
    {
        null => string.Empty,
        decimal m => m.ToString("0.00##", CultureInfo.InvariantCulture),
        int n => n.ToString(CultureInfo.InvariantCulture),
        DateTimeOffset at => TimeZoneInfo.ConvertTime(at, Brussels).ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture),
        _ => type == ExportColumnType.Text ? Neutralise(Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty) : Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty,
    };

    private static readonly TimeZoneInfo Brussels = TimeZoneInfo.FindSystemTimeZoneById("Europe/Brussels");

    private static string Quote(string value) =>
        value.IndexOfAny([Separator, '"', '\r', '\n', ',']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
}
