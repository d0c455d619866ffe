namespace SubsidyEngine.Tools.Simulation;

/// <summary>
/// A settable clock for the programme simulation: the runtime, the deadline sweep and the migrator read the time
/// from it, and the simulation moves it forward to the real dates of the programme. It never moves backwards
/// (journal times stay in order). Thread-safe; timers are not supported (nothing in the engine uses them).
/// </summary>
public sealed class SimulationClock(DateTimeOffset start) : TimeProvider
{
    private readonly object _gate = new();
    private DateTimeOffset _now = start.ToUniversalTime();

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <summary>Moves the clock to <paramref name="instant"/>; an earlier instant is refused.</summary>
    public void MoveTo(DateTimeOffset instant)
    {
        lock (_gate)
        {
            var utc = instant.ToUniversalTime();
            if (utc < _now)
            {
                throw new InvalidOperationException($"The simulation clock cannot go back from {_now:O} to {utc:O}.");
            }

            _now = utc;
        }
    }

    /// <summary>Moves the clock forward by <paramref name="delta"/> (not negative).</summary>
    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        lock (_gate)
        {
            _now += delta;
        }
    }
}
