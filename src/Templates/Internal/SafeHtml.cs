namespace SubsidyEngine.Templates.Internal;

/// <summary>
/// Markup that is written without escaping. Only our own code creates it (the output of an embedded partial and the
/// rendered letter body inside its layout); templates cannot turn a model value into one.
/// </summary>
internal sealed class SafeHtml(string html)
{
    public string Html { get; } = html;

    public override string ToString() => Html;
}
