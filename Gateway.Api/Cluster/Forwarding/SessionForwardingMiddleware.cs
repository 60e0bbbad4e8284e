using Gateway.Api.Auth;
using Gateway.Api.Contracts;
using Gateway.Api.Errors;
using Gateway.Xmpp.Pool;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Gateway.Api.Cluster.Forwarding;

/// <summary>
/// Answers a session's API call on any node as the node that runs the session would: when this node's pool does not
/// run it, the session's grain says where it runs, and the request is forwarded there (<see cref="SessionForwarder"/>).
/// Runs after authentication, authorization and rate limiting, so a call that this node would refuse never leaves
/// it; the owner checks authentication and authorization again, but does not charge the tenant's rate limit a second
/// time (<see cref="ForwardingMarkerMiddleware"/>). The grain is keyed by the caller's own tenant, so another tenant's session is never
/// found and stays 404, exactly as an unknown one.
/// </summary>
internal sealed class SessionForwardingMiddleware(
    RequestDelegate next,
    SessionPool local,
    SessionOwnerLocator owners,
    SessionForwarder forwarder,
    ForwardingMarker markers,
    IOptions<ClusterForwardingOptions> options,
    ILogger<SessionForwardingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var pathAndQuery = ForwardingMarkerFeature.PathAndQuery(request);

        // Checked before the rate limiter (ForwardingMarkerMiddleware), or here if that is not in the pipeline. A marker
        // that no node made is refused, whatever the route.
        var marker = ForwardingMarkerFeature.Verify(context, markers);
        if (marker == MarkerCheck.Invalid)
        {
            ForwardingLog.MarkerRefused(logger);
            await GatewayProblems.WriteAsync(context, GatewayProblems.Create(context, StatusCodes.Status400BadRequest, ProblemCodes.BadRequest,
                $"The {ForwardingMarker.HeaderName} header is set by the gateway's own nodes only; send the request without it."));
            return;
        }

        if (!ForwardableRoutes.TryGetSessionId(context, out var sessionId) ||
            !InputRules.IsValidSessionId(sessionId) ||
            !context.User.TryGetTenant(out var tenant))
        {
            if (ForwardableRoutes.TryGetRemovedSessionId(context, out var removed) && context.User.TryGetTenant(out var remover))
            {
                owners.Forget(remover, removed);
            }

            await next(context);
            return;
        }

        var action = ForwardingPlan.Start(marker, local.Find(tenant, sessionId) is not null);
        if (action == ForwardingAction.Moving)
        {
            ForwardingLog.Moving(logger, tenant, sessionId, request.Method);
            await UnavailableAsync(context, sessionId, "The session is moving to another node of the cluster; retry after the Retry-After delay.");
            return;
        }

        if (action == ForwardingAction.Serve)
        {
            await next(context);
            return;
        }

        // Asked at most twice: once (a recent answer kept on this node will do), and once more of the grain itself if
        // its node could not be reached (the cluster may have placed the session elsewhere since).
        string? unreachable = null;
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var owner = await owners.FindAsync(tenant, sessionId, fresh: attempt > 0, context.RequestAborted);
            switch (ForwardingPlan.AfterLookup(owner, owners.LocalSilo))
            {
                case ForwardingAction.Serve:
                    await next(context);
                    return;
                case ForwardingAction.Forward when owner!.HttpBaseAddress != unreachable:
                    var outcome = await ForwardOnceAsync(context, tenant, sessionId, owner.HttpBaseAddress!, pathAndQuery);
                    if (ForgetReason(outcome, context.Response.StatusCode) is { } reason)
                    {
                        owners.Forget(tenant, sessionId, owner, reason);
                    }

                    if (outcome != ForwardOutcome.NotConnected)
                    {
                        if (outcome == ForwardOutcome.NoAnswer)
                        {
                            ForwardingLog.Unavailable(logger, tenant, sessionId, request.Method, "its node gave no answer");
                            await UnavailableAsync(context, sessionId, "The node that runs this session did not answer; retry after the Retry-After delay (with the same Idempotency-Key, if any).");
                        }

                        return;
                    }

                    unreachable = owner.HttpBaseAddress;
                    ForwardingLog.OwnerUnreachable(logger, tenant, sessionId, owner.HttpBaseAddress!, "not connected");
                    continue;
                case ForwardingAction.Forward:
                    // Still the node that could not be reached: the cluster has not noticed yet.
                    owners.Forget(tenant, sessionId, owner!, "not connected");
                    break;
                case ForwardingAction.Unavailable when owner is not null:
                    ForwardingLog.OwnerWithoutAddress(logger, tenant, sessionId, owner.Silo);
                    break;
            }

            break;
        }

        ForwardingLog.Unavailable(logger, tenant, sessionId, request.Method, unreachable is null ? "owner unknown" : "its node cannot be reached");
        await UnavailableAsync(context, sessionId, "The node that runs this session cannot be reached right now; retry after the Retry-After delay.");
    }

    private async Task<ForwardOutcome> ForwardOnceAsync(HttpContext context, string tenant, string sessionId, string ownerAddress, string pathAndQuery)
    {
        var target = SessionForwarder.TargetUri(new Uri(ownerAddress), context.Request.Path, context.Request.QueryString);
        var outcome = await forwarder.ForwardAsync(context, target, markers.Create(context.Request.Method, pathAndQuery));
        if (outcome == ForwardOutcome.Answered)
        {
            ForwardingLog.Forwarded(logger, tenant, sessionId, context.Request.Method, ownerAddress, context.Response.StatusCode);
        }
        else if (outcome == ForwardOutcome.Broken)
        {
            ForwardingLog.AnswerBroken(logger, tenant, sessionId, ownerAddress, "connection lost");
        }

        return outcome;
    }

    /// <summary>
    /// Why the owner just used is no longer assumed (null: it answered, the session is there). A 503 from it is its
    /// "not here" (the session moved or was removed; ForwardingAction.Moving) or a session it cannot use right now;
    /// either way the grain is asked again at the next call.
    /// </summary>
    internal static string? ForgetReason(ForwardOutcome outcome, int status) => outcome switch
    {
        ForwardOutcome.NotConnected => "not connected",
        ForwardOutcome.NoAnswer => "no answer",
        ForwardOutcome.Broken => "answer broke off",
        _ when status == StatusCodes.Status503ServiceUnavailable => "it answered 503",
        _ => null,
    };

    /// <summary>503 <c>session-unavailable</c> with Retry-After: the client retries, and reaches the session where it runs then.</summary>
    private Task UnavailableAsync(HttpContext context, string sessionId, string detail)
    {
        var retryAfter = options.Value.RetryAfter;
        context.Response.Headers[HeaderNames.RetryAfter] = GatewayProblems.RetryAfterSeconds(retryAfter).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var problem = GatewayProblems.FromMapping(context, new ProblemMapping(StatusCodes.Status503ServiceUnavailable, ProblemCodes.SessionUnavailable,
            $"Session '{GatewayProblems.Truncate(sessionId)}': {detail}")
        {
            RetryAfter = retryAfter,
        });
        return GatewayProblems.WriteAsync(context, problem);
    }
}
