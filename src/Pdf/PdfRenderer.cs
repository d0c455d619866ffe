using Microsoft.Playwright;
using SubsidyEngine.Templates;

namespace SubsidyEngine.Pdf;

/// <summary>Settings of <see cref="PdfRenderer"/>.</summary>
public sealed record PdfRendererOptions
{
    /// <summary>The Chromium binary (Debian package <c>chromium</c>). No <c>playwright install</c> is used.</summary>
    public string ExecutablePath { get; init; } = "/usr/bin/chromium";

    /// <summary>Timeout of one render step (launch, set content, print), in milliseconds.</summary>
    public float TimeoutMilliseconds { get; init; } = 30_000;

    /// <summary>How many renders may use the browser at the same time.</summary>
    public int MaxConcurrentRenders { get; init; } = 4;
}

/// <summary>
/// The <see cref="IPdfRenderer"/> of the service: prints letter HTML to A4 PDF with headless Chromium through Playwright. One browser process is started on first
/// use and reused; every render gets its own browser context and page (offline, JavaScript off), so concurrent
/// callers are isolated. A browser that died is started again on the next render.
/// </summary>
/// <remarks>
/// PDF bytes are not reproducible (Chromium writes creation dates and ids); the letter's identity is the hash of its
/// HTML (<see cref="RenderedLetter.HtmlSha256"/>).
/// </remarks>
public sealed class PdfRenderer : IPdfRenderer, IAsyncDisposable
{
    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic",
    ];

    private const string FooterTemplate =
        "<div style=\"width:100%;font-family:'DejaVu Sans',sans-serif;font-size:7pt;color:#555;padding:0 18mm;display:flex;justify-content:space-between\">"
        + "<span>Agentschap Binnenlands Bestuur</span><span>pagina <span class=\"pageNumber\"></span> van <span class=\"totalPages\"></span></span></div>";

    private readonly PdfRendererOptions _options;
    private readonly SemaphoreSlim _launchGate = new(1, 1);
    private readonly SemaphoreSlim _renderGate;
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private bool _disposed;

    /// <summary>Creates the renderer; the browser starts on the first render.</summary>
    public PdfRenderer(PdfRendererOptions? options = null)
    {
        _options = options ?? new PdfRendererOptions();
        _renderGate = new SemaphoreSlim(Math.Max(1, _options.MaxConcurrentRenders));
    }

    /// <inheritdoc />
    public Task<byte[]> RenderAsync(RenderedLetter letter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(letter);
        return RenderAsync(letter.Html, cancellationToken);
    }

    /// <inheritdoc />
    /// <exception cref="PdfRendererUnavailableException">Chromium is missing or cannot be started.</exception>
    public async Task<byte[]> RenderAsync(string html, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(html);
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _renderGate.WaitAsync(cancellationToken);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var browser = await GetBrowserAsync(cancellationToken);
                try
                {
                    return await PrintAsync(browser, html, cancellationToken);
                }
                catch (PlaywrightException) when (attempt == 1 && !browser.IsConnected)
                {
                    // The browser died under us (crash, OOM kill): start a new one and try once more.
                }
            }
        }
        finally
        {
            _renderGate.Release();
        }
    }

    private async Task<byte[]> PrintAsync(IBrowser browser, string html, CancellationToken cancellationToken)
    {
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            JavaScriptEnabled = false,
            Offline = true,
        });
        context.SetDefaultTimeout(_options.TimeoutMilliseconds);
        var page = await context.NewPageAsync();
        await page.SetContentAsync(html, new PageSetContentOptions { WaitUntil = WaitUntilState.Load }).WaitAsync(cancellationToken);
        return await page.PdfAsync(new PagePdfOptions
        {
            Format = "A4",
            PrintBackground = true,
            Margin = new Margin { Top = "18mm", Bottom = "20mm", Left = "20mm", Right = "18mm" },
            DisplayHeaderFooter = true,
            HeaderTemplate = "<span></span>",
            FooterTemplate = FooterTemplate,
        }).WaitAsync(cancellationToken);
    }

    private async Task<IBrowser> GetBrowserAsync(CancellationToken cancellationToken)
    {
        if (_browser is { IsConnected: true } running)
        {
            return running;
        }

        await _launchGate.WaitAsync(cancellationToken);
        try
        {
            if (_browser is { IsConnected: true } started)
            {
                return started;
            }

            if (_browser is not null)
            {
                await _browser.DisposeAsync();
                _browser = null;
            }

            if (!File.Exists(_options.ExecutablePath))
            {
                throw new PdfRendererUnavailableException(
                    $"Chromium was not found at {_options.ExecutablePath}. Install the Debian package 'chromium' (as root: bash scripts/install-prerequisites.sh).");
            }

            _playwright ??= await Playwright.CreateAsync();
            try
            {
                _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
                {
                    ExecutablePath = _options.ExecutablePath,
                    Headless = true,
                    Args = ChromiumArgs,
                    Timeout = _options.TimeoutMilliseconds,
                });
            }
            catch (PlaywrightException e)
            {
                throw new PdfRendererUnavailableException($"Chromium at {_options.ExecutablePath} could not be started: {e.Message}", e);
            }

            return _browser;
        }
        finally
        {
            _launchGate.Release();
        }
    }

    /// <summary>Closes the browser as if it had crashed (tests of the restart path).</summary>
    internal async Task KillBrowserForTestsAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }
    }

    /// <summary>Closes the browser and the Playwright driver.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        _launchGate.Dispose();
        _renderGate.Dispose();
    }
}

/// <summary>Chromium is missing or cannot be started, so no PDF can be made.</summary>
public sealed class PdfRendererUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PdfRendererUnavailableException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
