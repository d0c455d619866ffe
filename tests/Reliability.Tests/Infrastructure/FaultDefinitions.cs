namespace SubsidyEngine.Reliability.Tests.Infrastructure;

/// <summary>
/// The workflows the fault scenarios drive, written to the rig's workflows folder. They use only real letter
/// templates without a PDF (<c>deadline-timeout</c>, and <c>report-reminder</c> for reminders), so the service
/// renders real letters without starting Chromium.
/// </summary>
public static class FaultDefinitions
{
    /// <summary>A → B → C → A for ever; B → C writes a notice. <c>finish</c> ends it from any state (once).</summary>
    public const string Cycle = """
    {
      "id": "faults/cycle",
      "version": 1,
      "initial": "A",
      "creation": { "roles": ["officer"], "parameters": [ { "name": "owner", "type": "string" }, { "name": "reference", "type": "string" } ] },
      "states": [ { "id": "A" }, { "id": "B" }, { "id": "C" }, { "id": "Done", "terminal": true } ],
      "triggers": [ { "id": "next" }, { "id": "finish" } ],
      "transitions": [
        { "from": "A", "trigger": "next", "to": "B", "roles": ["officer"] },
        { "from": "B", "trigger": "next", "to": "C", "roles": ["officer"], "effects": [ { "notice": "deadline-timeout" } ] },
        { "from": "C", "trigger": "next", "to": "A", "roles": ["officer"] },
        { "from": "A", "trigger": "finish", "to": "Done", "roles": ["officer"] },
        { "from": "B", "trigger": "finish", "to": "Done", "roles": ["officer"] },
        { "from": "C", "trigger": "finish", "to": "Done", "roles": ["officer"] }
      ]
    }
    """;

    /// <summary>The same ring without notices: its version only moves by transitions (for If-Match races).</summary>
    public const string Ring = """
    {
      "id": "faults/ring",
      "version": 1,
      "initial": "A",
      "creation": { "roles": ["officer"], "parameters": [ { "name": "owner", "type": "string" } ] },
      "states": [ { "id": "A" }, { "id": "B" }, { "id": "C" }, { "id": "Done", "terminal": true } ],
      "triggers": [ { "id": "next" }, { "id": "finish" } ],
      "transitions": [
        { "from": "A", "trigger": "next", "to": "B", "roles": ["officer"] },
        { "from": "B", "trigger": "next", "to": "C", "roles": ["officer"] },
        { "from": "C", "trigger": "next", "to": "A", "roles": ["officer"] },
        { "from": "A", "trigger": "finish", "to": "Done", "roles": ["officer"] },
        { "from": "B", "trigger": "finish", "to": "Done", "roles": ["officer"] },
        { "from": "C", "trigger": "finish", "to": "Done", "roles": ["officer"] }
      ]
    }
    """;

    /// <summary>A reminding deadline at <c>due</c> set at creation; when it passes, the timeout expires the dossier with a letter.</summary>
    public const string Timed = """
    {
      "id": "faults/timed",
      "version": 1,
      "initial": "Waiting",
      "creation": {
        "roles": ["officer"],
        "parameters": [ { "name": "owner", "type": "string" }, { "name": "reference", "type": "string" }, { "name": "due", "type": "datetime", "required": true } ],
        "effects": [ { "deadline": { "kind": "report", "at": "args.due", "timeout": "expire", "remind": true } } ]
      },
      "states": [ { "id": "Waiting" }, { "id": "Expired", "terminal": true } ],
      "triggers": [ { "id": "expire", "automatic": true } ],
      "transitions": [ { "from": "Waiting", "trigger": "expire", "to": "Expired", "roles": ["system"], "effects": [ { "letter": "deadline-timeout" } ] } ]
    }
    """;

    /// <summary>A reminding deadline without a timeout (the reminder is the only notice).</summary>
    public const string Remind = """
    {
      "id": "faults/remind",
      "version": 1,
      "initial": "Open",
      "creation": {
        "roles": ["officer"],
        "parameters": [ { "name": "owner", "type": "string" }, { "name": "reference", "type": "string" }, { "name": "due", "type": "datetime", "required": true } ],
        "effects": [ { "deadline": { "kind": "report", "at": "args.due", "remind": true } } ]
      },
      "states": [ { "id": "Open" }, { "id": "Closed", "terminal": true } ],
      "triggers": [ { "id": "close" } ],
      "transitions": [ { "from": "Open", "trigger": "close", "to": "Closed", "roles": ["officer"] } ]
    }
    """;

    public static void WriteTo(string folder)
    {
        var dir = Path.Combine(folder, "faults");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "cycle.v1.json"), Cycle);
        File.WriteAllText(Path.Combine(dir, "ring.v1.json"), Ring);
        File.WriteAllText(Path.Combine(dir, "timed.v1.json"), Timed);
        File.WriteAllText(Path.Combine(dir, "remind.v1.json"), Remind);
    }
}
