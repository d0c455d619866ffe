using Npgsql;
using SubsidyEngine.Engine.Journal;
using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Engine.Audit;

/// <summary>
/// The replay of everything (<see cref="Replayer.ReplayAllAsync(ReplayAllOptions, CancellationToken)"/>): the journal
/// streamed once in order, merged with the projections, replayed by parallel workers.
/// </summary>
internal sealed class StreamedReplay(NpgsqlDataSource dataSource, WorkflowCatalog catalog)
{
    private const string SnapshotColumns = WorkflowRuntime.SnapshotColumns;

    /// <inheritdoc cref="Replayer.ReplayAllAsync(ReplayAllOptions, CancellationToken)"/>
    public async Task<ReplaySummary> RunAsync(ReplayAllOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var checkpoints = options.VerifyCheckpoints ? await CheckpointService.ReadAllAsync(dataSource, cancellationToken) : [];
        var heads = new CheckpointHeads(checkpoints);
        int total;
        await using (var count = dataSource.CreateCommand("SELECT count(*) FROM dossier"))
        {
            total = Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        }

        var queue = System.Threading.Channels.Channel.CreateBounded<(Guid Id, List<JournalEvent> Events, DossierSnapshot? Stored)>(
            new System.Threading.Channels.BoundedChannelOptions(options.Workers * 64) { SingleWriter = true, FullMode = System.Threading.Channels.BoundedChannelFullMode.Wait });
        var failures = new System.Collections.Concurrent.ConcurrentBag<ReplayReport>();
        var divergent = 0;
        var done = 0;
        long events = 0;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        async Task ConsumeAsync()
        {
            await foreach (var item in queue.Reader.ReadAllAsync(cts.Token))
            {
                var report = Replayer.Replay(item.Id, item.Events, item.Stored, catalog);
                options.OnReport?.Invoke(report);
                if (!report.Ok && Interlocked.Increment(ref divergent) <= options.MaxFailuresKept)
                {
                    failures.Add(report);
                }

                var d = Interlocked.Increment(ref done);
                var ev = Interlocked.Add(ref events, report.Events);
                if (d % 250 == 0)
                {
                    options.Progress?.Report(new ReplayProgress(d, Math.Max(total, d), ev));
                }
            }
        }

        var workers = Enumerable.Range(0, Math.Max(1, options.Workers)).Select(_ => Task.Run(async () =>
        {
            try
            {
                await ConsumeAsync();
            }
            catch
            {
                await cts.CancelAsync(); // unblock the reader
                throw;
            }
        }, cts.Token)).ToList();

        try
        {
            // The two streams read one snapshot of the database: the journal's transaction exports it and the
            // projections' transaction imports it, so a transition or record committed while the replay runs is in
            // neither stream (read apart, it was in one and not the other, and an untampered dossier looked divergent).
            await using var journalConn = await dataSource.OpenConnectionAsync(cts.Token);
            // On the same node: a multi-host stale-reads source may give a second connection to another one.
            await using var dossierConn = await Database.SameHost.OpenBesideAsync(dataSource, journalConn, cts.Token);
            await using var journalTx = await journalConn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cts.Token);
            string exported;
            await using (var export = new NpgsqlCommand("SET TRANSACTION READ ONLY; SELECT pg_export_snapshot()", journalConn, journalTx))
            {
                exported = (string)(await export.ExecuteScalarAsync(cts.Token))!;
            }

            await using var dossierTx = await dossierConn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cts.Token);
            await using (var import = new NpgsqlCommand($"SET TRANSACTION READ ONLY; SET TRANSACTION SNAPSHOT '{exported.Replace("'", "''", StringComparison.Ordinal)}'", dossierConn, dossierTx))
            {
                await import.ExecuteNonQueryAsync(cts.Token);
            }

            await using var journalCmd = new NpgsqlCommand($"SELECT {JournalStore.Columns} FROM journal ORDER BY dossier_id, dossier_seq, seq", journalConn, journalTx);
            await using var dossierCmd = new NpgsqlCommand($"SELECT {SnapshotColumns} FROM dossier ORDER BY id", dossierConn, dossierTx);
            await using var journalReader = await journalCmd.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cts.Token);
            await using var dossierReader = await dossierCmd.ExecuteReaderAsync(cts.Token);

            DossierSnapshot? snapshot = await dossierReader.ReadAsync(cts.Token) ? WorkflowRuntime.ReadSnapshot(dossierReader) : null;
            async Task Flush(Guid id, List<JournalEvent> group)
            {
                // Projections without any journal event sort before this dossier: report them on their own.
                while (snapshot is not null && Replayer.CompareUuid(snapshot.Id, id) < 0)
                {
                    await queue.Writer.WriteAsync((snapshot.Id, [], snapshot), cts.Token);
                    snapshot = await dossierReader.ReadAsync(cts.Token) ? WorkflowRuntime.ReadSnapshot(dossierReader) : null;
                }

                DossierSnapshot? paired = null;
                if (snapshot is not null && snapshot.Id == id)
                {
                    paired = snapshot;
                    snapshot = await dossierReader.ReadAsync(cts.Token) ? WorkflowRuntime.ReadSnapshot(dossierReader) : null;
                }

                heads.Add(id, group);
                await queue.Writer.WriteAsync((id, group, paired), cts.Token);
            }

            List<JournalEvent>? current = null;
            var currentId = Guid.Empty;
            while (await journalReader.ReadAsync(cts.Token))
            {
                var e = JournalStore.Read(journalReader);
                if (current is not null && e.DossierId != currentId)
                {
                    await Flush(currentId, current);
                    current = null;
                }

                if (current is null)
                {
                    current = [];
                    currentId = e.DossierId;
                }

                current.Add(e);
            }

            if (current is not null)
            {
                await Flush(currentId, current);
            }

            while (snapshot is not null)
            {
                await queue.Writer.WriteAsync((snapshot.Id, [], snapshot), cts.Token);
                snapshot = await dossierReader.ReadAsync(cts.Token) ? WorkflowRuntime.ReadSnapshot(dossierReader) : null;
            }

            queue.Writer.Complete();
        }
        catch (Exception e)
        {
            queue.Writer.TryComplete(e);
            await cts.CancelAsync();
            throw;
        }
        finally
        {
            try
            {
                await Task.WhenAll(workers);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
            }
        }

        options.Progress?.Report(new ReplayProgress(done, Math.Max(total, done), events));
        var kept = failures.OrderBy(f => f.DossierId.ToString("D"), StringComparer.Ordinal).ToList();
        return new ReplaySummary(done, events, divergent, kept) { CheckpointProblems = heads.Verify() };
    }
}
