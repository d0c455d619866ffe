using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using MimeKit;
using SubsidyEngine.Engine.Configuration;

namespace SubsidyEngine.Testing;

/// <summary>
/// A real SMTP server for tests: Debian's aiosmtpd (<c>python3-aiosmtpd</c>) run as a child process on a free
/// loopback port, storing every accepted message in a Maildir. Use it as an xunit class fixture
/// (<see cref="IAsyncLifetime"/>) or start a private one with <see cref="StartNewAsync"/> for outage tests.
/// </summary>
/// <remarks>
/// <para>
/// The handler (<c>smtp/subsidy_smtp_handler.py</c>, embedded in this assembly) is aiosmtpd's Maildir handler
/// plus two rules: a recipient containing <c>reject</c> gets <c>550</c>, one containing <c>tempfail</c> gets
/// <c>451</c>. The server adds <c>X-MailFrom</c> and <c>X-RcptTo</c> headers with the SMTP envelope, exposed
/// as <see cref="ReceivedMail.EnvelopeFrom"/> and <see cref="ReceivedMail.EnvelopeRecipients"/>.
/// </para>
/// <para>
/// <see cref="StopAsync"/> kills the process and <see cref="StartAsync"/> starts it again on the same port with
/// the same Maildir. When <c>/usr/bin/python3</c> or the aiosmtpd module is missing, starting fails with a
/// message saying what to install: mail tests never skip silently.
/// </para>
/// </remarks>
public sealed class SmtpTestServer : IAsyncLifetime, IDisposable
{
    /// <summary>Debian's interpreter; the <c>python3</c> on PATH may be a pyenv shim without Debian's modules.</summary>
    public const string Python = "/usr/bin/python3";

    /// <summary>The handler's marker for a 550 "mailbox unavailable" reply.</summary>
    public const string RejectMarker = "reject";

    /// <summary>The handler's marker for a 451 "try again later" reply.</summary>
    public const string TempFailMarker = "tempfail";

    private const string HandlerModule = "subsidy_smtp_handler";
    private static readonly ConcurrentDictionary<string, Lazy<string?>> MissingPrerequisites = new(StringComparer.Ordinal);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly string _python;
    private readonly string _root;
    private readonly StringBuilder _log = new();
    private Process? _process;

    /// <summary>A server run by Debian's <see cref="Python"/>.</summary>
    public SmtpTestServer()
        : this(Python)
    {
    }

    // Private: xunit class fixtures must have exactly one public constructor.
    private SmtpTestServer(string python)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(python);
        _python = python;
        _root = TestCluster.NewTempFolder("smtp");
        MaildirPath = Path.Combine(_root, "maildir");
        Port = TestCluster.FreePort();
    }

    /// <summary>Always the loopback address.</summary>
    public string Host => "127.0.0.1";

    /// <summary>The port, fixed for the fixture's life (kept across <see cref="StopAsync"/> / <see cref="StartAsync"/>).</summary>
    public int Port { get; }

    /// <summary>The Maildir; accepted messages are files in its <c>new/</c> folder.</summary>
    public string MaildirPath { get; }

    /// <summary>True while the server process runs.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>What the server printed so far (for failure messages).</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>A (not started) server run by another interpreter; tests of the missing-package message use a bogus one.</summary>
    public static SmtpTestServer WithInterpreter(string python) => new(python);

    /// <summary>Starts a private server, e.g. for a test that stops it.</summary>
    public static async Task<SmtpTestServer> StartNewAsync()
    {
        var server = new SmtpTestServer();
        try
        {
            await server.StartAsync();
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>Settings pointing the service at this server (plain SMTP, no login).</summary>
    public SmtpOptions CreateSmtpOptions(string from = "noreply-samenleven@abb.example.be", string fromName = "Agentschap Binnenlands Bestuur") => new()
    {
        Host = Host,
        Port = Port,
        Security = "None",
        From = from,
        FromName = fromName,
    };

    /// <summary>Starts the server (again) and waits until its port accepts connections.</summary>
    /// <exception cref="InvalidOperationException">aiosmtpd is not installed, or the server did not come up.</exception>
    public async Task StartAsync()
    {
        var check = MissingPrerequisites.GetOrAdd(_python, p => new Lazy<string?>(() => FindMissingPrerequisite(p)));
        if (check.Value is { } missing)
        {
            throw new InvalidOperationException(missing);
        }

        if (IsRunning)
        {
            return;
        }

        var handlerFolder = Path.Combine(_root, "handler");
        Directory.CreateDirectory(handlerFolder);
        await WriteHandlerAsync(Path.Combine(handlerFolder, HandlerModule + ".py"));

        var start = new ProcessStartInfo(_python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _root,
        };
        foreach (var arg in new[] { "-m", "aiosmtpd", "-n", "-l", $"{Host}:{Port}", "-c", HandlerModule + ".Handler", MaildirPath })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["PYTHONPATH"] = handlerFolder;
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        start.Environment["PYTHONUNBUFFERED"] = "1";

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"could not start {_python} -m aiosmtpd");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                await process.WaitForExitAsync();
                _process = null;
                throw new InvalidOperationException(
                    $"aiosmtpd exited with code {process.ExitCode} before accepting connections on {Host}:{Port}:{Environment.NewLine}{Log}");
            }

            if (await AcceptsConnectionsAsync())
            {
                return;
            }

            if (deadline.Elapsed > StartTimeout)
            {
                Kill();
                throw new InvalidOperationException($"aiosmtpd did not accept connections on {Host}:{Port} within {StartTimeout.TotalSeconds} s:{Environment.NewLine}{Log}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Stops the server (kills the process) and waits until it is gone; the Maildir is kept.</summary>
    public async Task StopAsync()
    {
        var process = _process;
        if (process is null)
        {
            return;
        }

        Kill();
        await process.WaitForExitAsync();
        process.Dispose();
        _process = null;
    }

    /// <summary>Every message accepted so far, oldest first, parsed with MimeKit.</summary>
    public async Task<IReadOnlyList<ReceivedMail>> ReadMessagesAsync(CancellationToken ct = default)
    {
        var folder = Path.Combine(MaildirPath, "new");
        if (!Directory.Exists(folder))
        {
            return [];
        }

        var files = new DirectoryInfo(folder).GetFiles()
            .OrderBy(f => f.LastWriteTimeUtc)
            .ThenBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
        var result = new List<ReceivedMail>(files.Count);
        foreach (var file in files)
        {
            var message = await MimeMessage.LoadAsync(file.FullName, ct);
            result.Add(new ReceivedMail(file.FullName, message));
        }

        return result;
    }

    /// <summary>Waits until at least <paramref name="count"/> messages were accepted, then returns all of them.</summary>
    /// <exception cref="TimeoutException">Fewer messages arrived within <paramref name="timeout"/>.</exception>
    public async Task<IReadOnlyList<ReceivedMail>> WaitForMessagesAsync(int count, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var messages = await ReadMessagesAsync();
            if (messages.Count >= count)
            {
                return messages;
            }

            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"expected {count} message(s) on the test SMTP server within {timeout.TotalSeconds} s, got {messages.Count}");
            }

            await Task.Delay(25);
        }
    }

    /// <summary>Waits for the message with this Message-ID (without angle brackets) and returns it.</summary>
    /// <exception cref="TimeoutException">It did not arrive within <paramref name="timeout"/>.</exception>
    public async Task<ReceivedMail> WaitForMessageAsync(string messageId, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var messages = await ReadMessagesAsync();
            var match = messages.Where(m => m.Message.MessageId == messageId).ToList();
            if (match.Count > 0)
            {
                return match[0];
            }

            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"message <{messageId}> did not reach the test SMTP server within {timeout.TotalSeconds} s ({messages.Count} other message(s) there)");
            }

            await Task.Delay(25);
        }
    }

    /// <summary>Deletes every received message (between tests sharing one fixture).</summary>
    public void Clear()
    {
        var folder = Path.Combine(MaildirPath, "new");
        if (Directory.Exists(folder))
        {
            foreach (var file in Directory.GetFiles(folder))
            {
                File.Delete(file);
            }
        }
    }

    Task IAsyncLifetime.InitializeAsync() => StartAsync();

    async Task IAsyncLifetime.DisposeAsync()
    {
        await StopAsync();
        TestCluster.TryDelete(_root);
    }

    /// <summary>Kills the server process and deletes its folder.</summary>
    public void Dispose()
    {
        Kill();
        _process?.Dispose();
        _process = null;
        TestCluster.TryDelete(_root);
    }

    private void Kill()
    {
        try
        {
            if (_process is { HasExited: false } p)
            {
                p.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private async Task<bool> AcceptsConnectionsAsync()
    {
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            await client.ConnectAsync(Host, Port, timeout.Token);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    private static async Task WriteHandlerAsync(string path)
    {
        var name = "SubsidyEngine.Testing.smtp." + HandlerModule + ".py";
        await using var resource = typeof(SmtpTestServer).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded resource {name} is missing from SubsidyEngine.Testing");
        await using var file = File.Create(path);
        await resource.CopyToAsync(file);
    }

    private static string? FindMissingPrerequisite(string python)
    {
        const string install = "run `bash scripts/install-prerequisites.sh` as root, or `apt-get install -y --no-install-recommends python3-aiosmtpd`";
        if (!File.Exists(python))
        {
            return $"The mail tests need a real SMTP server: {python} is missing; {install}.";
        }

        var check = new ProcessStartInfo(python) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        check.ArgumentList.Add("-c");
        check.ArgumentList.Add("import aiosmtpd.handlers");
        using var process = Process.Start(check) ?? throw new InvalidOperationException($"could not start {python}");
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0
            ? null
            : $"The mail tests need a real SMTP server: the Debian package python3-aiosmtpd is not installed for {python} ({error.Trim()}); {install}.";
    }
}

/// <summary>One message as the test SMTP server stored it.</summary>
/// <param name="Path">The Maildir file.</param>
/// <param name="Message">The parsed message (with the server's <c>X-Peer</c>, <c>X-MailFrom</c>, <c>X-RcptTo</c> headers).</param>
public sealed record ReceivedMail(string Path, MimeMessage Message)
{
    /// <summary>The SMTP envelope sender (MAIL FROM).</summary>
    public string EnvelopeFrom => Message.Headers["X-MailFrom"] ?? string.Empty;

    /// <summary>The SMTP envelope recipients (RCPT TO): who the server would actually deliver to.</summary>
    public IReadOnlyList<string> EnvelopeRecipients =>
        (Message.Headers["X-RcptTo"] ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
