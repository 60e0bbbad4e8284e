using Gateway.Api.Telemetry;
using Gateway.Api.Auth;
using Gateway.Api.Contracts;
using Gateway.Api.Errors;
using Gateway.Api.OpenApi;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Api.Endpoints.Messages;

/// <summary>
/// <c>POST /api/v1/sessions/{id}/messages</c>: send a message; <c>POST /api/v1/sessions/{id}/messages/batch</c>: send
/// many (<see cref="MessageBatch"/>); <c>GET /api/v1/sessions/{id}/messages/{messageId}</c>: a message's delivery status.
/// </summary>
internal static class MessagesApi
{
    public const string Tag = "Messaging";

    /// <summary>The problem code of an unknown message id.</summary>
    public const string MessageNotFound = "message-not-found";

    private static readonly MessageStatusDto StatusExample = new(
        "order-42-shipped", "bob@example.com", "delivered", Examples.Since, Examples.Since.AddSeconds(2), ErrorCondition: null, ErrorText: null);

    public static RouteGroupBuilder MapMessages(this RouteGroupBuilder group)
    {
        group.MapPost("/{id}/messages", Send)
            .RequireScope(ApiScopes.Send)
            .CountAcceptedSends("message")
            .WithTags(Tag)
            .Documented(
                "SendMessage",
                "Send a message",
                "Queues a message (RFC 6121 §5) on the session and answers 202 with its stanza id. `to` must be a valid JID; " +
                "a message needs content: a body, a subject, payloads or one of the typed features. Typed features (see " +
                "docs/im-features.md): `chatState` (XEP-0085; alone, it asks for no receipt), `replaces` (XEP-0308 correction, " +
                "with a body), `retracts` (XEP-0424; the fallback body, XEP-0428 indication and store hint are added), `replyTo` " +
                "(XEP-0461, with a body), `reactions` (XEP-0444, the complete set; empty removes all), `oob` (XEP-0066, absolute " +
                "http(s) URL; the body defaults to it), `displayed` (XEP-0333 marker) and `noCopy` (XEP-0280 private). A typed " +
                "feature must not also be given as a raw payload (400). Payloads are other extension elements as XML strings " +
                "(custom data), each exactly one namespaced element: no DTD, comments or processing instructions, " +
                "nothing of `jabber:client` or of the stream level. By default the call returns once the stanza is stored and queued " +
                "(also while the session reconnects); it is kept until the server acknowledges it, across reconnects and gateway restarts. With `?wait=server` it returns only after the server acknowledged the " +
                "stanza through XEP-0198 (`ackedByServer: true`); 504 if no acknowledgement came in time, 409 if the server " +
                "offers no stream management. 429 with `Retry-After` when the session's outbound queue is full. " +
                "Send an `Idempotency-Key` header (1-128 printable ASCII characters) to make retries safe: a retry with the " +
                "same key answers with the first attempt's stanza id and sends nothing again. Follow delivery with " +
                "`GET /api/v1/sessions/{id}/messages/{messageId}` or the hub's `OnMessageStatus` events.",
                Examples.Message,
                new Dictionary<int, object> { [202] = Examples.Accepted, [400] = Examples.InvalidChatState })
            .ProducesProblems(400, 404, 409, 413, 415, 429, 503, 504);
        group.MapPost("/{id}/messages/batch", MessageBatch.Send)
            .RequireScope(ApiScopes.Send)
            .CountAcceptedSends("batch")
            .WithTags(Tag)
            .WithRequestBodyLimit(PostMessageBatchRequest.MaxBodyBytes)
            .Documented(
                "SendMessageBatch",
                "Send many messages",
                "Sends 1 to 1,000 messages (`messages`, each exactly what `POST /sessions/{id}/messages` takes) in one request, " +
                "in order, each with its own outcome; the body may have up to 8 MiB. Every message is validated as a single " +
                "send is. The valid ones go to the session in request order and are stored together and sent in that " +
                "order.\n\n" +
                "**Answer**: 202 with `results`, one per message in request order: `{ index, id, ackedByServer }` when the " +
                "message was accepted (stored and queued, as a single send answers 202), or `{ index, problem }` with the " +
                "problem details a single send would have answered (with `retryAfter` in seconds in place of the " +
                "`Retry-After` header), plus the counts `accepted` and `refused`. A 202 may thus hold refusals: check " +
                "`refused`. 400 (`validation-failed`, with `errors` keyed `messages[i].field`) when no message is valid, " +
                "and nothing is sent; 400 for an empty list or more than 1,000 messages, a null message, or a body that " +
                "is not JSON of this shape (wrong types, unknown fields, a message without `to`).\n\n" +
                "**Partial acceptance**: an invalid message is skipped and the others are sent. The first message the " +
                "session refuses (429 `outbound-queue-full`, 409/503 `session-unavailable`) ends the batch: every later " +
                "valid message is not tried and carries the same problem, its detail saying so. What was accepted is " +
                "therefore always the valid messages before the first refusal; send the batch again from there (with the " +
                "same `Idempotency-Key`, the whole batch) to keep the order.\n\n" +
                "**`?wait=server`**: a message is accepted once the server acknowledged it (XEP-0198, `ackedByServer: " +
                "true`); every message waits for its own acknowledgement, all at the same time, so a batch waits for at " +
                "most one acknowledgement timeout. A message whose acknowledgement does not come in time gets 504 " +
                "`xmpp-timeout` but stays queued, as with a single send.\n\n" +
                "**Idempotency**: with an `Idempotency-Key` header (1-124 printable ASCII characters) message `i` is sent " +
                "under the key `<key>:<i>` (e.g. `order-42:0`, `order-42:1`), exactly as a single send with that key: a " +
                "retried batch answers each message with its first attempt's id and sends nothing twice, and a message " +
                "can also be retried alone with its own key.",
                Examples.MessageBatch,
                new Dictionary<int, object>
                {
                    [202] = Examples.BatchAccepted,
                    [400] = Examples.BatchInvalid,
                    [413] = Examples.Make(413, ProblemCodes.PayloadTooLarge, "The request body is larger than 8192 KiB."),
                })
            .ProducesProblems(400, 404, 413, 415);
        group.MapGet("/{id}/messages/{messageId}", GetStatus)
            .RequireScope(ApiScopes.Read)
            .WithTags(Tag)
            .Documented(
                "GetMessageStatus",
                "Get a message's delivery status",
                "The delivery state of a message sent through this session, by the stanza id the send returned: `queued` " +
                "(in the session's outbound queue), `sent` (written to the connection), `acked` (the server confirmed it, " +
                "XEP-0198), `delivered` (the recipient's client confirmed receipt, XEP-0184 or XEP-0333), `displayed` " +
                "(XEP-0333) or `failed` (with `errorCondition` and `errorText`). The status only moves forward; `failed` can " +
                "follow any state before `delivered`. The same data arrives as `message-status` events on the hub. 404 " +
                "`message-not-found` for an id this session never sent or no longer remembers.",
                responseExamples: new Dictionary<int, object>
                {
                    [200] = StatusExample,
                    [404] = Examples.Make(404, MessageNotFound, "Session 'support-bot' knows no message 'order-42-shipped'."),
                })
            .ProducesProblems(404);
        return group;
    }

    /// <param name="id">The session id.</param>
    /// <param name="body">The message.</param>
    /// <param name="wait"><c>queued</c> (default): return once queued. <c>server</c>: once the server acknowledged it (XEP-0198).</param>
    /// <param name="idempotencyKey">
    /// Optional, 1-128 printable ASCII characters: a retry with the same key returns the first attempt's stanza id and
    /// sends nothing again.
    /// </param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<Accepted<StanzaAcceptedDto>, ProblemHttpResult>> Send(
        string id,
        PostMessageRequest body,
        [FromQuery] string? wait,
        [FromHeader(Name = IdempotencyKeys.Header)] string? idempotencyKey,
        HttpContext httpContext,
        ISessionPool pool,
        CancellationToken cancellationToken)
    {
        if (!SessionLookup.TryParseWait(wait, out var delivery))
        {
            return GatewayProblems.Validation(httpContext, SessionLookup.InvalidWait);
        }

        if (IdempotencyKeys.Validate(idempotencyKey) is { } invalidKey)
        {
            return GatewayProblems.Validation(httpContext, new Dictionary<string, string[]> { [IdempotencyKeys.Header] = [invalidKey] });
        }

        if (!SessionLookup.TryFind(httpContext, pool, id, out var session))
        {
            return GatewayProblems.SessionNotFound(httpContext, id);
        }

        if (!RequestMapper.TryCreateMessage(body, out var message, out var errors))
        {
            return GatewayProblems.Validation(httpContext, errors);
        }

        var receipt = await session.EnqueueAsync(message, delivery, idempotencyKey, RequestMapper.Reports(body), cancellationToken);
        return TypedResults.Accepted((string?)null, new StanzaAcceptedDto(receipt.StanzaId, receipt.AckedByServer));
    }

    /// <param name="id">The session id.</param>
    /// <param name="messageId">The message's stanza id, as the send returned it.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="cancellationToken">The request's.</param>
    internal static async Task<Results<Ok<MessageStatusDto>, ProblemHttpResult>> GetStatus(string id, string messageId, HttpContext httpContext, ISessionPool pool, CancellationToken cancellationToken)
    {
        if (!SessionLookup.TryFind(httpContext, pool, id, out var session))
        {
            return GatewayProblems.SessionNotFound(httpContext, id);
        }

        return await session.FindMessageStatusAsync(messageId, cancellationToken) is { } status
            ? TypedResults.Ok(EventMapper.ToDto(status))
            : GatewayProblems.Result(
                httpContext,
                StatusCodes.Status404NotFound,
                MessageNotFound,
                $"Session '{GatewayProblems.Truncate(id)}' knows no message '{GatewayProblems.Truncate(messageId)}'.");
    }
}
