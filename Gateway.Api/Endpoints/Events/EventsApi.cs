// Server-sent events: WHATWG HTML Living Standard §9.2 https://html.spec.whatwg.org/multipage/server-sent-events.html
using System.Globalization;
using Gateway.Api.Auth;
using Gateway.Api.Errors;
using Gateway.Api.Events;
using Gateway.Api.OpenApi;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Endpoints.Events;

/// <summary>
/// <c>GET /api/v1/sessions/{id}/events</c>: the session's events as server-sent events, with the envelopes and event
/// ids of the SignalR hub, resumable with <c>Last-Event-ID</c>, for clients that are not browsers running SignalR
/// (<c>curl -N</c>, any language's HTTP client, <c>EventSource</c>).
/// </summary>
internal static class EventsApi
{
    public const string Tag = "Events";

    /// <summary>The request header a client resumes with (§9.2.4: EventSource sends it when it reconnects).</summary>
    public const string LastEventIdHeader = "Last-Event-ID";

    private const string Description =
        "Streams the session's events as `text/event-stream` (WHATWG HTML §9.2): each event is `id: <eventId>`, " +
        "`event: <kind>` (`message`, `presence`, `message-status`, `session-state`, … as the envelope's `kind`) and one " +
        "`data:` line with the event envelope as JSON, exactly as the SignalR hub delivers it. An idle stream gets a " +
        "`: keep-alive` comment every `Gateway:EventStreams:HeartbeatInterval`; the first lines carry a `retry:` hint.\n\n" +
        "Start: with `Last-Event-ID` (or, for clients that cannot set headers, `?after=`; the header wins, so an " +
        "EventSource that reconnects resumes where it was), the events after that id are read back from the event log " +
        "first, then live ones follow, each exactly once and in order; `0` replays everything the log keeps. Without " +
        "either, the stream starts from now (like the hub's `Subscribe`).\n\n" +
        "End: the gateway ends a stream with a final `event: subscription-ended` (no id; data " +
        "`{\"sessionId\",\"reason\",\"lastEventId\"}`) when the client falls behind (`slow-consumer`: more events waiting " +
        "than `Gateway:EventStreams:QueueEvents`/`QueueBytes` allow), the log no longer keeps the next event " +
        "(`replay-gap`), the log cannot be read (`replay-failed`), the session is removed (`session-removed`), the API " +
        "key is revoked (`key-revoked`) or the gateway stops (`shutting-down`). Reconnect with `Last-Event-ID` set to " +
        "the last id received (an EventSource does so by itself).\n\n" +
        "Refusals, before the stream starts: 400 `validation-failed` for a `Last-Event-ID`/`after` that is not a " +
        "whole number ≥ 0; 404 `session-not-found` (also for another tenant's session); 409 `replay-gap` when the " +
        "events right after the given id are no longer kept (`oldestAvailableEventId` says where the log starts: " +
        "resume from there, or without an id); 429 `stream-limit-reached` beyond " +
        "`Gateway:EventStreams:MaxStreamsPerTenant` open streams (or `rate-limited`).";

    private const string Sample =
        "retry: 3000\n\n" +
        "id: 42\nevent: message\ndata: {\"eventId\":42,\"sessionId\":\"support-bot\",\"kind\":\"message\",\"receivedAt\":\"2025-01-31T09:30:00+00:00\",\"data\":{\"id\":\"m1\",\"from\":\"alice@example.com/phone\",\"type\":\"chat\",\"body\":\"Hello\"}}\n\n" +
        ": keep-alive\n\n" +
        "event: subscription-ended\ndata: {\"sessionId\":\"support-bot\",\"reason\":\"slow-consumer\",\"lastEventId\":42}\n\n";

    public static RouteGroupBuilder MapEvents(this RouteGroupBuilder group)
    {
        group.MapGet("/{id}/events", Stream)
            .RequireScope(ApiScopes.Read)
            .WithTags(Tag)
            .Documented(
                "StreamEvents",
                "Follow the session's events (server-sent events)",
                Description,
                responseExamples: new Dictionary<int, object> { [200] = Sample, [400] = InvalidStartExample, [409] = ReplayGapExample })
            .ProducesProblems(400, 404, 409, 429);
        return group;
    }

    private static readonly Contracts.GatewayProblemDetails InvalidStartExample = Examples.Make(
        400, ProblemCodes.ValidationFailed, "The request is invalid: Last-Event-ID must be a whole number, 0 or more") with
    {
        Errors = new Dictionary<string, string[]> { [LastEventIdHeader] = ["must be a whole number, 0 or more"] },
    };

    private static readonly Contracts.GatewayProblemDetails ReplayGapExample = Examples.Make(
        409, ProblemCodes.ReplayGap, "Events after 10 are no longer kept; the oldest available is 250.") with { OldestAvailableEventId = 250 };

    /// <param name="id">The session id.</param>
    /// <param name="lastEventId">Resume after this event id (what EventSource sends when it reconnects).</param>
    /// <param name="after">Resume after this event id, for clients that cannot set headers; <c>Last-Event-ID</c> wins.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="streams">The open streams.</param>
    /// <param name="options">The streams' settings.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<EventStreamResult, ProblemHttpResult>> Stream(
        string id,
        [FromHeader(Name = LastEventIdHeader)] string? lastEventId,
        string? after,
        HttpContext httpContext,
        ISessionPool pool,
        EventStreamRegistry streams,
        IOptions<EventStreamOptions> options,
        CancellationToken cancellationToken)
    {
        var tenant = httpContext.User.GetTenant();
        long newest;
        if (SessionLookup.TryFind(httpContext, pool, id, out var session))
        {
            newest = session.Info.LastEventId;
        }
        else if (httpContext.RequestServices.GetService<IRemoteSessionEvents>() is { } remote &&
            await remote.FollowAsync(tenant, id, cancellationToken) is { } elsewhere)
        {
            // In a cluster, a session another node runs: its events reach this node's streams (docs/scale-out.md).
            newest = elsewhere.LastEventId;
        }
        else
        {
            return GatewayProblems.SessionNotFound(httpContext, id);
        }

        // §9.2.4: an EventSource that reconnects sends the last id it saw, and keeps its URL: the header is newer.
        var (name, start) = !string.IsNullOrEmpty(lastEventId) ? (LastEventIdHeader, lastEventId) : ("after", after);
        long afterEventId;
        Xmpp.Pool.Persistence.EventPage? first = null;
        if (string.IsNullOrEmpty(start))
        {
            afterEventId = newest;
        }
        else if (!long.TryParse(start, NumberStyles.None, CultureInfo.InvariantCulture, out afterEventId))
        {
            return GatewayProblems.Validation(httpContext, new Dictionary<string, string[]> { [name] = ["must be a whole number, 0 or more"] });
        }
        else
        {
            var o = options.Value;
            first = await pool.ReadHistoryAsync(tenant, id, afterEventId, Math.Min(Hubs.SessionEventDispatcher.MaxReplayPageSize, o.QueueEvents), o.QueueBytes, cancellationToken);
            if (first.Gap)
            {
                var problem = GatewayProblems.Create(httpContext, StatusCodes.Status409Conflict, ProblemCodes.ReplayGap,
                    $"Events after {afterEventId} are no longer kept; the oldest available is {first.OldestAvailableEventId}.");
                problem.Extensions["oldestAvailableEventId"] = first.OldestAvailableEventId;
                return TypedResults.Problem(problem);
            }
        }

        var stream = streams.TryOpen(pool, tenant, id, httpContext.User.GetKeyIdentity()?.KeyId, afterEventId, first);
        if (stream is null)
        {
            return GatewayProblems.Result(httpContext, StatusCodes.Status429TooManyRequests, ProblemCodes.StreamLimitReached,
                $"This tenant has {options.Value.MaxStreamsPerTenant} event streams open, as many as Gateway:EventStreams:MaxStreamsPerTenant allows.");
        }

        return new EventStreamResult(stream, afterEventId);
    }
}
