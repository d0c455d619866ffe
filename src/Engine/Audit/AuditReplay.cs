

namespace SubsidyEngine.Engine.Audit;

/// <summary>
/// The auditor's replay: the events of every dossier re-fired and verified (<see cref="Replayer"/>), then every stored
/// letter re-rendered from the journal and its hash compared (<see cref="LetterVerifier"/>). The CLI verb, the API
/// and the auditor screens all use this, so they report the same thing.
/// </summary>
public sealed class AuditReplay(Replayer replayer, LetterVerifier letters)
{
    /// <summary>One dossier: its event divergences, then its letter divergences.</summary>
    public async Task<ReplayReport> ReplayAsync(Guid dossierId, bool checkLetters = true, CancellationToken cancellationToken = default)
    {
        var report = await replayer.ReplayAsync(dossierId, cancellationToken);
        if (!checkLetters)
        {
            return report;
        }

        var verification = await letters.VerifyAsync(dossierId, cancellationToken: cancellationToken);
        return verification.Ok ? report : report with { Divergences = [.. report.Divergences, .. verification.Divergences] };
    }

    /// <summary>Everything: the streamed replay, then the letters (told to <paramref name="letterProgress"/> as they are checked).</summary>
    public async Task<ReplaySummary> ReplayAllAsync(ReplayAllOptions options, bool checkLetters = true, IProgress<int>? letterProgress = null, CancellationToken cancellationToken = default)
    {
        var summary = await replayer.ReplayAllAsync(options, cancellationToken);
        if (!checkLetters)
        {
            return summary;
        }

        var verification = await letters.VerifyAsync(null, letterProgress, cancellationToken);
        return summary with { Letters = verification.Letters, LetterDivergences = verification.Divergences };
    }
}
