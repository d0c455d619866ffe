using Microsoft.Extensions.Logging;
using Npgsql;
using SubsidyEngine.Engine.Configuration;
using SubsidyEngine.Engine.Database;

namespace SubsidyEngine.Engine.Hosting;

/// <summary>
/// The workflows folder the catalogues load from. Normally <see cref="SubsidyOptions.ResolveWorkflowsDirectory"/>.
/// On the embedded default with <c>Subsidy:Demo</c> on (the default), the service's first start on a new database
/// writes the demo's copy (<c>&lt;DataDirectory&gt;/demo/workflows</c>: the call files moved in time by the host's
/// <see cref="IDemoWorkflows"/>) and marks the demo as pending; the demo loader then fills the database. Once that copy
/// exists, every later start of the service and every verb on the same DataDirectory load from it (the dossiers'
/// call data came from it), whatever <c>Subsidy:Demo</c> says. Never on a configured connection string.
/// </summary>
public sealed class WorkflowsFolder
{
    private WorkflowsFolder(string path, bool demoPending, string? demoFolder)
    {
        Path = path;
        DemoPending = demoPending;
        DemoFolder = demoFolder;
    }

    public string Path { get; }

    /// <summary>True when this start created the demo's folder (or found it unloaded on an empty database): the demo loader must run.</summary>
    public bool DemoPending { get; }

    /// <summary>The demo's folder (<c>&lt;DataDirectory&gt;/demo</c>) when the demo is in use, else null.</summary>
    public string? DemoFolder { get; }

    /// <summary>The marker written once the demo is loaded.</summary>
    public static string LoadedMarker(string demoFolder) => System.IO.Path.Combine(demoFolder, "loaded");

    /// <param name="options">The service's options.</param>
    /// <param name="database">The database (the demo is for the embedded default only).</param>
    /// <param name="clock">Today, for the demo's calendar.</param>
    /// <param name="ownsServer">True for the service; a CLI verb never creates or loads the demo.</param>
    /// <param name="demo">Writes the demo's copy; null when the host has none (then no new demo is made).</param>
    /// <param name="logger">Logs the demo's copy.</param>
    public static WorkflowsFolder Resolve(SubsidyOptions options, DatabaseHandle database, TimeProvider clock, bool ownsServer, IDemoWorkflows? demo, ILogger logger)
    {
        var source = options.ResolveWorkflowsDirectory();
        if (!database.IsEmbedded)
        {
            return new WorkflowsFolder(source, false, null);
        }

        var folder = System.IO.Path.Combine(System.IO.Path.GetFullPath(options.DataDirectory), "demo");
        var copy = System.IO.Path.Combine(folder, "workflows");
        if (Directory.Exists(copy))
        {
            var pending = ownsServer && options.Demo && !File.Exists(LoadedMarker(folder)) && DatabaseIsEmpty(database.DataSource);
            return new WorkflowsFolder(copy, pending, folder);
        }

        if (demo is null || !ownsServer || !options.Demo || !DatabaseIsEmpty(database.DataSource))
        {
            return new WorkflowsFolder(source, false, null);
        }

        Directory.CreateDirectory(folder);
        var shifts = demo.WriteCopy(source, copy, clock.GetUtcNow());
        logger.LogInformation("New embedded database: the demo's programme data is {Folder} (call dates moved by {Shifts} months)", copy, shifts);
        return new WorkflowsFolder(copy, true, folder);
    }

    /// <summary>No dossier yet (or not even the schema: a database the migrations have not reached).</summary>
    private static bool DatabaseIsEmpty(NpgsqlDataSource dataSource)
    {
        using var conn = dataSource.OpenConnection();
        using (var exists = new NpgsqlCommand("SELECT to_regclass('public.dossier') IS NOT NULL", conn))
        {
            if (!(bool)exists.ExecuteScalar()!)
            {
                return true;
            }
        }

        using var any = new NpgsqlCommand("SELECT NOT EXISTS (SELECT 1 FROM dossier)", conn);
        return (bool)any.ExecuteScalar()!;
    }
}
