namespace SubsidyEngine.Reliability.Tests.Infrastructure;

/// <summary>
/// CI size (default: small and fast) or full size (<c>SUBSIDY_FAULTS_FULL=1</c>, for the bench and for a
/// thorough run before a release). Also <c>SUBSIDY_FAULTS_SEED</c> fixes the random kill moments.
/// </summary>
public static class FaultSize
{
    public static bool Full { get; } = Environment.GetEnvironmentVariable("SUBSIDY_FAULTS_FULL") is "1" or "true";

    public static int Seed { get; } = int.TryParse(Environment.GetEnvironmentVariable("SUBSIDY_FAULTS_SEED"), out var s) ? s : Random.Shared.Next(1, 1_000_000);

    /// <summary>Kill -9 / restart rounds of the crash scenario.</summary>
    public static int CrashRounds => Full ? 20 : 5;

    /// <summary>Dossiers driven concurrently by the load client (one client task each).</summary>
    public static int LoadDossiers => Full ? 16 : 6;

    /// <summary>Longest random run time of the service before it is killed.</summary>
    public static TimeSpan MaxRunBeforeKill => Full ? TimeSpan.FromSeconds(4) : TimeSpan.FromSeconds(1.5);

    /// <summary>Database restarts of the database scenario.</summary>
    public static int DatabaseRestarts => Full ? 5 : 1;

    /// <summary>SMTP outages of the SMTP scenario.</summary>
    public static int SmtpOutages => Full ? 5 : 1;

    /// <summary>Dossiers with due deadlines for the two-process scenario (each: a reminder, a timeout, a letter).</summary>
    public static int TimedDossiers => Full ? 400 : 40;

    /// <summary>Concurrent requests per race of the conflict scenario, and races.</summary>
    public static int Racers => 100;

    public static int Races => Full ? 10 : 3;

    /// <summary>High availability: dossiers under load, and how long the load runs before the primary's machine is lost.</summary>
    public static int HaLoadDossiers => Full ? 16 : 6;

    public static TimeSpan HaRunBeforeKill => Full ? TimeSpan.FromSeconds(10) : TimeSpan.FromSeconds(2);

    /// <summary>High availability: how long each stale-read phase (reads on the primary, then on the standby) runs.</summary>
    public static TimeSpan StaleReadPhase => Full ? TimeSpan.FromSeconds(20) : TimeSpan.FromSeconds(4);
}
