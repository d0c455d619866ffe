namespace SubsidyEngine.Templates;

/// <summary>
/// Prints letter HTML to an A4 PDF. Owned here so that Templates and the Engine carry no browser: the implementation
/// (headless Chromium through Playwright, <c>SubsidyEngine.Pdf.PdfRenderer</c> in <c>src/Pdf</c>) is registered by
/// the host, the tests and the benchmarks that need PDFs (docs/decisions/2026-12-07-tools-and-pdf-assemblies.md).
/// </summary>
/// <remarks>PDF bytes need not be reproducible; a letter's identity is the hash of its HTML (<see cref="RenderedLetter.HtmlSha256"/>).</remarks>
public interface IPdfRenderer
{
    /// <summary>Prints a rendered letter to PDF.</summary>
    Task<byte[]> RenderAsync(RenderedLetter letter, CancellationToken cancellationToken = default);

    /// <summary>Prints an HTML document to an A4 PDF and returns its bytes.</summary>
    Task<byte[]> RenderAsync(string html, CancellationToken cancellationToken = default);
}
