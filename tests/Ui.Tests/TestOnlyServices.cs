using System.Collections.Concurrent;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.Extensions.Logging;

namespace SubsidyEngine.Ui.Tests;

/// <summary>Test-only: fails a page request that carries <c>?test-throw=1</c>, inside the page, as a bug would.</summary>
public sealed class ThrowingPageFilter : IAsyncPageFilter
{
    /// <summary>The exception's message: it must reach the log and never the page.</summary>
    public const string Secret = "test-only failure 0xDEADBEEF in the page";

    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next) =>
        context.HttpContext.Request.Query["test-throw"] == "1" ? throw new InvalidOperationException(Secret) : next();
}

/// <summary>Keeps every log entry of the service (level, category, message, exception, trace id scope).</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, string Category, string Message, Exception? Exception, string? TraceId)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner.Entries.Enqueue((logLevel, category, formatter(state, exception), exception, System.Diagnostics.Activity.Current?.TraceId.ToHexString()));
            }
        }
    }
}
