using Gateway.Api.Errors;
using Gateway.Xmpp;
using Microsoft.AspNetCore.SignalR;

namespace Gateway.Api.Hubs;

/// <summary>
/// Turns library exceptions thrown by hub methods into <see cref="HubException"/>s that say what the REST API's
/// ProblemDetails would say, from the same mapping (<see cref="ExceptionProblems"/>):
/// <c>"{code} ({xmppCondition}): {detail}"</c>, e.g. <c>xmpp-stanza-error (item-not-found): …</c>. Anything unmapped is
/// a bug: it is logged and propagates, and SignalR answers with its generic error, so internals never reach a client.
/// </summary>
internal sealed class HubErrorFilter(ILogger<HubErrorFilter> logger) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        ArgumentNullException.ThrowIfNull(invocationContext);
        ArgumentNullException.ThrowIfNull(next);
        var method = invocationContext.HubMethodName;
        try
        {
            return await next(invocationContext);
        }
        catch (HubException ex)
        {
            HubLog.MethodRefused(logger, method, ex.Message);
            throw;
        }
        catch (XmppException ex) when (Describe(ex) is { } message)
        {
            HubLog.MethodRefused(logger, method, message);
            throw new HubException(message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            HubLog.MethodFailed(logger, method, ex);
            throw;
        }
    }

    /// <summary>The client-facing message for an exception, or null when it is a bug.</summary>
    internal static string? Describe(Exception exception) =>
        ExceptionProblems.Map(exception) is { } problem
            ? problem.XmppCondition is { } condition
                ? $"{problem.Code} ({condition}): {problem.Detail}"
                : $"{problem.Code}: {problem.Detail}"
            : null;
}
