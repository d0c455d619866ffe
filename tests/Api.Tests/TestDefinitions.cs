using System.Text.Json.Nodes;
using SubsidyEngine.Workflows.Expressions;

namespace SubsidyEngine.Api.Tests;

/// <summary>Tiny made-up machines (A, B, C) with the generic ownership fields owner and participants.</summary>
public static class TestDefinitions
{
    public static RuleRegistry Rules() => new RuleRegistry()
        .Guard("test.amount-positive", ctx =>
            ValueResolver.TryGetDecimal(ctx.Data["amount"], out var a) && a > 0
                ? RuleOutcome.Pass()
                : RuleOutcome.Fail(new Reason("amount.not-positive", "Het bedrag moet groter zijn dan nul.", "The amount must be greater than zero.")))
        .Computation("test.double", ctx => ValueResolver.TryGetDecimal(ctx.Data["amount"], out var a) ? JsonValue.Create(a * 2) : null);

    public const string Abc = """
    {
      "id": "test/abc",
      "version": 1,
      "title": { "nl": "Test ABC", "en": "Test ABC" },
      "initial": "A",
      "creation": { "roles": ["officer", "municipality"], "parameters": [
        { "name": "amount", "type": "decimal" }, { "name": "owner", "type": "string" }, { "name": "participants", "type": "array" },
        { "name": "title", "type": "string" }, { "name": "reference", "type": "string" }, { "name": "parent", "type": "string" } ] },
      "states": [
        { "id": "A" },
        { "id": "B" },
        { "id": "B1", "parent": "B" },
        { "id": "B2", "parent": "B" },
        { "id": "C", "terminal": true }
      ],
      "triggers": [
        { "id": "go", "parameters": [ { "name": "note", "type": "string", "maxLength": 20 }, { "name": "count", "type": "int", "min": 0, "max": 10 } ] },
        { "id": "set-amount", "parameters": [ { "name": "amount", "type": "decimal", "required": true, "min": 0 } ] },
        { "id": "toggle" },
        { "id": "finish" },
        { "id": "expire", "automatic": true },
        { "id": "reject" }
      ],
      "transitions": [
        { "from": "A", "trigger": "set-amount", "roles": ["officer", "municipality"], "assign": { "amount": "args.amount" } },
        { "from": "A", "trigger": "go", "to": "B1", "roles": ["officer"], "guard": { "all": ["test.amount-positive", { "compare": ["data.amount", "<=", 1000000] }] },
          "assign": { "wentAt": "now", "by": "actor" }, "compute": { "doubled": "test.double" },
          "effects": [ { "letter": "letter-a" }, { "deadline": { "kind": "review", "after": "P7D", "timeout": "expire", "remind": true, "within": "B" } } ] },
        { "from": "A", "trigger": "reject", "to": "C", "roles": ["officer"], "commentRequired": true },
        { "from": "B1", "trigger": "toggle", "to": "B2", "roles": ["officer"] },
        { "from": "B2", "trigger": "toggle", "to": "B1", "roles": ["officer"] },
        { "from": "B", "trigger": "finish", "to": "C", "roles": ["officer"], "effects": [ { "clearDeadline": "review" }, { "notice": "notice-a" } ] },
        { "from": "B", "trigger": "expire", "to": "C", "roles": ["system"] }
      ]
    }
    """;

    public const string Cycle = """
    {
      "id": "test/cycle",
      "version": 1,
      "initial": "A",
      "states": [ { "id": "A" }, { "id": "B" }, { "id": "C" } ],
      "triggers": [ { "id": "next" } ],
      "transitions": [
        { "from": "A", "trigger": "next", "to": "B", "roles": ["officer"] },
        { "from": "B", "trigger": "next", "to": "C", "roles": ["officer"] },
        { "from": "C", "trigger": "next", "to": "A", "roles": ["officer"] }
      ]
    }
    """;

    public const string CycleV2 = """
    {
      "id": "test/cycle",
      "version": 2,
      "initial": "A",
      "states": [ { "id": "A" }, { "id": "B-new" }, { "id": "C" }, { "id": "D", "terminal": true } ],
      "triggers": [ { "id": "next" }, { "id": "stop" } ],
      "transitions": [
        { "from": "A", "trigger": "next", "to": "B-new", "roles": ["officer"] },
        { "from": "B-new", "trigger": "next", "to": "C", "roles": ["officer"] },
        { "from": "C", "trigger": "next", "to": "A", "roles": ["officer"] },
        { "from": "C", "trigger": "stop", "to": "D", "roles": ["officer"] }
      ]
    }
    """;

    public const string CycleMigration = """
    { "id": "cycle-v1-v2", "workflow": "test/cycle", "fromVersion": 1, "toVersion": 2, "stateMap": { "A": "A", "B": "B-new" } }
    """;
}
