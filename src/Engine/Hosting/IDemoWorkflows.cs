namespace SubsidyEngine.Engine.Hosting;

/// <summary>
/// Writes the demo's copy of the workflows folder (the call files moved in time so that today is where the demo wants
/// it). The Engine owns this contract; the host registers the implementation
/// (<c>SubsidyEngine.Tools.Simulation.DemoWorkflows</c>). Without one, a new embedded database gets no demo.
/// </summary>
public interface IDemoWorkflows
{
    /// <summary>Copies <paramref name="sourceWorkflows"/> to <paramref name="target"/> (which must not exist) for <paramref name="now"/>.</summary>
    /// <returns>What was moved, for the log (for instance <c>plan-samenleven 40, oefenkansen-nederlands 9</c> months).</returns>
    string WriteCopy(string sourceWorkflows, string target, DateTimeOffset now);
}
