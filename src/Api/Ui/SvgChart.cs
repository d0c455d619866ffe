using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Html;

namespace SubsidyEngine.Api.Ui;

/// <summary>One series of a bar chart: a name (legend), a fill colour and one value per category.</summary>
public sealed record ChartSeries(string Name, string Colour, IReadOnlyList<decimal> Values);

/// <summary>
/// Server-rendered horizontal bar charts (SVG, no script): one group of bars per category, one bar per series,
/// the formatted value beside each bar. Accessible: <c>role="img"</c> with <c>&lt;title&gt;</c> and <c>&lt;desc&gt;</c>;
/// pages put a table with the same numbers next to every chart.
/// </summary>
public static class SvgChart
{
    private const int LabelWidth = 150;
    private const int BarArea = 360;
    private const int BarHeight = 16;
    private const int Gap = 10;

    public static IHtmlContent Bars(string id, string title, string description, IReadOnlyList<string> categories, IReadOnlyList<ChartSeries> series, Func<decimal, string> format)
    {
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(format);
        var top = Math.Max(1m, series.SelectMany(s => s.Values).DefaultIfEmpty(0m).Max());
        var groupHeight = series.Count * BarHeight + Gap;
        var legend = series.Count > 1 ? 22 : 0;
        var height = legend + categories.Count * groupHeight + 4;
        const int width = LabelWidth + BarArea + 150;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"chart\" id=\"{E(id)}\" role=\"img\" aria-labelledby=\"{E(id)}-title {E(id)}-desc\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" xmlns=\"http://www.w3.org/2000/svg\">");
        svg.Append(CultureInfo.InvariantCulture, $"<title id=\"{E(id)}-title\">{E(title)}</title><desc id=\"{E(id)}-desc\">{E(description)}</desc>");
        if (legend > 0)
        {
            var x = LabelWidth;
            foreach (var s in series)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x}\" y=\"4\" width=\"12\" height=\"12\" fill=\"{E(s.Colour)}\"/><text x=\"{x + 16}\" y=\"14\" font-size=\"12\">{E(s.Name)}</text>");
                x += 24 + s.Name.Length * 7;
            }
        }

        for (var c = 0; c < categories.Count; c++)
        {
            var y0 = legend + c * groupHeight;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"0\" y=\"{y0 + BarHeight - 3}\" font-size=\"13\">{E(categories[c])}</text>");
            for (var s = 0; s < series.Count; s++)
            {
                var value = c < series[s].Values.Count ? series[s].Values[c] : 0m;
                var w = (double)(Math.Max(0m, value) / top) * BarArea;
                var y = y0 + s * BarHeight;
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{LabelWidth}\" y=\"{y + 1}\" width=\"{w:0.#}\" height=\"{BarHeight - 3}\" fill=\"{E(series[s].Colour)}\"><title>{E(series[s].Name)}: {E(format(value))}</title></rect>");
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{LabelWidth + w + 5:0.#}\" y=\"{y + BarHeight - 4}\" font-size=\"12\">{E(format(value))}</text>");
            }
        }

        svg.Append("</svg>");
        return new HtmlString(svg.ToString());
    }

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
