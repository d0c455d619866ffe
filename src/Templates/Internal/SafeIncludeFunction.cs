using Scriban;
using Scriban.Runtime;
using Scriban.Syntax;

namespace SubsidyEngine.Templates.Internal;

/// <summary>
/// Scriban's <c>include</c> (which goes through <see cref="PartialLoader"/>) with its result marked as
/// <see cref="SafeHtml"/>: the partial already escaped the values it wrote, so it must not be escaped twice.
/// </summary>
internal sealed class SafeIncludeFunction(IScriptCustomFunction inner) : IScriptCustomFunction
{
    public int RequiredParameterCount => inner.RequiredParameterCount;

    public int ParameterCount => inner.ParameterCount;

    public ScriptVarParamKind VarParamKind => inner.VarParamKind;

    public Type ReturnType => typeof(object);

    public ScriptParameterInfo GetParameterInfo(int index) => inner.GetParameterInfo(index);

    public object? Invoke(TemplateContext context, ScriptNode? callerContext, ScriptArray arguments, ScriptBlockStatement? blockStatement)
    {
        var result = inner.Invoke(context, callerContext, arguments, blockStatement);
        return new SafeHtml(result as string ?? string.Empty);
    }

    public async ValueTask<object?> InvokeAsync(TemplateContext context, ScriptNode? callerContext, ScriptArray arguments, ScriptBlockStatement? blockStatement)
    {
        var result = await inner.InvokeAsync(context, callerContext, arguments, blockStatement).ConfigureAwait(false);
        return new SafeHtml(result as string ?? string.Empty);
    }
}
