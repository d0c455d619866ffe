using System.ComponentModel.DataAnnotations;

namespace SubsidyEngine.Engine.Configuration;

/// <summary>
/// Service settings bound from the <c>Subsidy</c> configuration section. The connection string itself lives
/// under <c>ConnectionStrings:Subsidy</c>; when it is absent the service provisions its embedded cluster.
/// </summary>
public sealed class SubsidyOptions
{
    public const string SectionName = "Subsidy";

    /// <summary>Folder for the embedded cluster (<c>pg/</c>), the mail outbox (<c>outbox/</c>) and other local state.</summary>
    [Required(AllowEmptyStrings = false)]
    public string DataDirectory { get; set; } = ".data";

    /// <summary>The address users reach the service on; used in letters and iCal links.</summary>
    [Required(AllowEmptyStrings = false)]
    [Url]
    public string PublicBaseUrl { get; set; } = "http://127.0.0.1:5080";

    /// <summary>Default HTTP port when no <c>--urls</c> / <c>ASPNETCORE_URLS</c> is given.</summary>
    [Range(1, 65535)]
    public int Port { get; set; } = 5080;

    /// <summary>Folder of the workflow definitions and programme data; default: <c>workflows</c> next to the service binaries.</summary>
    public string? WorkflowsDirectory { get; set; }

    /// <summary>The workflows folder actually used.</summary>
    public string ResolveWorkflowsDirectory() => string.IsNullOrWhiteSpace(WorkflowsDirectory)
        ? Path.Combine(AppContext.BaseDirectory, "workflows")
        : Path.GetFullPath(WorkflowsDirectory);

    /// <summary>CSV register of authorities (format: docs/programme-data.md); default: the demo register shipped with the service.</summary>
    public string? AuthoritiesFile { get; set; }

    public string ResolveAuthoritiesFile() => string.IsNullOrWhiteSpace(AuthoritiesFile)
        ? Path.Combine(AppContext.BaseDirectory, "data", "authorities", "flemish-authorities-demo.csv")
        : Path.GetFullPath(AuthoritiesFile);

    public EmbeddedDatabaseOptions Embedded { get; set; } = new();

    public SmtpOptions Smtp { get; set; } = new();
}

/// <summary>Settings of the private PostgreSQL cluster started when no connection string is configured.</summary>
public sealed class EmbeddedDatabaseOptions
{
    [Range(1, 65535)]
    public int Port { get; set; } = 5439;

    [Required(AllowEmptyStrings = false)]
    public string Database { get; set; } = "subsidy";

    /// <summary>Folder holding <c>initdb</c>, <c>pg_ctl</c> and <c>postgres</c>; found automatically when empty.</summary>
    public string? BinDirectory { get; set; }
}

/// <summary>SMTP relay used for notices; when <see cref="Host"/> is empty, messages go to <c>DataDirectory/outbox</c> as .eml files.</summary>
public sealed class SmtpOptions
{
    public string? Host { get; set; }

    [Range(1, 65535)]
    public int Port { get; set; } = 25;

    public string? UserName { get; set; }

    public string? Password { get; set; }

    /// <summary><c>None</c>, <c>StartTls</c>, <c>SslOnConnect</c> or <c>Auto</c>.</summary>
    public string Security { get; set; } = "Auto";

    [Required(AllowEmptyStrings = false)]
    [EmailAddress]
    public string From { get; set; } = "noreply-samenleven@abb.example.be";

    public string FromName { get; set; } = "Agentschap Binnenlands Bestuur";

    [EmailAddress]
    public string AuditorAddress { get; set; } = "audit@abb.example.be";
}
