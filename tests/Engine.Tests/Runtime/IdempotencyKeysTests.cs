using SubsidyEngine.Engine.Runtime;

namespace SubsidyEngine.Engine.Tests.Runtime;

/// <summary>One rule for idempotency keys: what a caller may choose, and what the runtime stores after namespacing.</summary>
public sealed class IdempotencyKeysTests
{
    [Fact]
    public void A_caller_chooses_1_to_100_visible_ascii_characters_and_its_namespaced_key_is_always_storable()
    {
        Assert.True(IdempotencyKeys.IsValid(new string('k', IdempotencyKeys.MaxLength)));
        Assert.False(IdempotencyKeys.IsValid(new string('k', IdempotencyKeys.MaxLength + 1)));
        Assert.False(IdempotencyKeys.IsValid(string.Empty));
        Assert.False(IdempotencyKeys.IsValid("with space"));
        Assert.False(IdempotencyKeys.IsValid("tab\tkey"));
        Assert.False(IdempotencyKeys.IsValid("é"));

        // DossierCommands.Namespaced puts the user's id (a GUID or a short name) and a colon before the key.
        var namespaced = new string('u', IdempotencyKeys.MaxLength - 1) + ":" + new string('k', IdempotencyKeys.MaxLength);
        Assert.True(IdempotencyKeys.IsStorable(namespaced));
        Assert.False(IdempotencyKeys.IsStorable(namespaced + "x"));
        Assert.Contains(IdempotencyKeys.MaxLength.ToString(System.Globalization.CultureInfo.InvariantCulture), IdempotencyKeys.Rule, StringComparison.Ordinal);
    }
}
