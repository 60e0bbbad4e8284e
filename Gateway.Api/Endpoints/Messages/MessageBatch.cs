using Gateway.Api.Contracts;
using Gateway.Api.Diagnostics;
using Gateway.Api.Errors;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Api.Endpoints.Messages;

/// <summary>
/// <c>POST /api/v1/sessions/{id}/messages/batch</c>: many messages in one request, each with its own outcome.
/// Every message is validated as a single send validates it (<see cref="RequestMapper"/>); the valid ones go to the
/// session in request order, through the same enqueue path as a single send, without waiting in between.
/// </summary>
internal static class MessageBatch
{
    /// <summary>
    /// A batch's <c>Idempotency-Key</c> leaves room for <c>:999</c>: message <c>i</c> is sent under the key
    /// <c>&lt;key&gt;:&lt;i&gt;</c>, which is then a valid key of its own (a message may be retried alone with it).
    /// </summary>
    public const int MaxIdempotencyKeyLength = 124;

    /// <param name="id">The session id.</param>
    /// <param name="body">The messages, in the order they are to be sent.</param>
    /// <param name="wait"><c>queued</c> (default): a message is accepted once queued. <c>server</c>: once the server acknowledged it (XEP-0198).</param>
    /// <param name="idempotencyKey">
    /// Optional, 1-124 printable ASCII characters: message <c>i</c> is sent under the key <c>&lt;key&gt;:&lt;i&gt;</c>, so a
    /// retried batch returns the first attempt's ids and sends nothing twice.
    /// </param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="loggerFactory">For the refusals' log lines.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<Accepted<MessageBatchResultDto>, ProblemHttpResult>> Send(
        string id,
        PostMessageBatchRequest body,
        [FromQuery] string? wait,
        [FromHeader(Name = IdempotencyKeys.Header)] string? idempotencyKey,
        HttpContext httpContext,
        ISessionPool pool,
        ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        if (!SessionLookup.TryParseWait(wait, out var delivery))
        {
            return GatewayProblems.Validation(httpContext, SessionLookup.InvalidWait);
        }

        if (ValidateKey(idempotencyKey) is { } invalidKey)
        {
            return GatewayProblems.Validation(httpContext, new Dictionary<string, string[]> { [IdempotencyKeys.Header] = [invalidKey] });
        }

        if (!SessionLookup.TryFind(httpContext, pool, id, out var session))
        {
            return GatewayProblems.SessionNotFound(httpContext, id);
        }

        if (ValidateShape(body.Messages) is { } shapeErrors)
        {
            return GatewayProblems.Validation(httpContext, shapeErrors);
        }

        var count = body.Messages.Count;
        var messages = new (Message Message, RecipientReports Reports)?[count];
        var results = new MessageBatchItemDto[count];
        var allErrors = new Dictionary<string, string[]>();
        for (var i = 0; i < count; i++)
        {
            if (RequestMapper.TryCreateMessage(body.Messages[i], out var message, out var errors))
            {
                messages[i] = (message, RequestMapper.Reports(body.Messages[i]));
                continue;
            }

            results[i] = Refused(i, GatewayProblems.CreateValidation(httpContext, errors));
            foreach (var (field, fieldErrors) in errors)
            {
                allErrors[$"messages[{i}].{field}"] = fieldErrors;
            }
        }

        if (Array.TrueForAll(messages, m => m is null))
        {
            // Nothing to send: the request as a whole is invalid.
            return GatewayProblems.Validation(httpContext, allErrors);
        }

        var logger = loggerFactory.CreateLogger(typeof(MessageBatch).FullName!);
        await SendInOrderAsync(session, messages, results, delivery, idempotencyKey, httpContext, logger, cancellationToken);
        var accepted = results.Count(r => r.Problem is null);
        Log.BatchCompleted(logger, RequestRoute.Describe(httpContext), count, accepted, count - accepted);
        return TypedResults.Accepted((string?)null, new MessageBatchResultDto(accepted, count - accepted, results));
    }

    /// <summary>What is wrong with the key, or null: a valid single-send key, short enough for the <c>:&lt;index&gt;</c> suffix.</summary>
    internal static string? ValidateKey(string? key) =>
        IdempotencyKeys.Validate(key) ?? (key?.Length > MaxIdempotencyKeyLength
            ? $"must be at most {MaxIdempotencyKeyLength} characters for a batch, whose message i is sent under the key <key>:<i>"
            : null);

    /// <summary>The list itself: 1 to <see cref="PostMessageBatchRequest.MaxMessages"/> messages, none of them null.</summary>
    private static Dictionary<string, string[]>? ValidateShape(IReadOnlyList<PostMessageRequest?> messages)
    {
        if (messages.Count is 0 or > PostMessageBatchRequest.MaxMessages)
        {
            return new() { ["messages"] = [$"must hold 1 to {PostMessageBatchRequest.MaxMessages} messages (it holds {messages.Count})"] };
        }

        Dictionary<string, string[]>? errors = null;
        for (var i = 0; i < messages.Count; i++)
        {
            // JSON null inside the list: nullable annotations do not reach list elements, so the binder lets it through.
            if (messages[i] is null)
            {
                (errors ??= [])[$"messages[{i}]"] = ["must be a message object, not null"];
            }
        }

        return errors;
    }

    /// <summary>
    /// Hands the valid messages to the session in request order without waiting in between: the session queues sends in
    /// the order they were called (whatever order their store writes finish in), and the journal stores them together
    /// in one commit. A message the session refuses at once (a full queue, a session that no longer sends) ends the
    /// batch: a later one accepted now would overtake it when it is sent again. With <c>?wait=server</c> every accepted
    /// message waits for its own acknowledgement, all at the same time, so a batch waits at most one timeout.
    /// </summary>
    private static async Task SendInOrderAsync(
        IManagedSession session,
        (Message Message, RecipientReports Reports)?[] messages,
        MessageBatchItemDto[] results,
        DeliveryWait delivery,
        string? idempotencyKey,
        HttpContext httpContext,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        var sends = new (int Index, Task<SendReceipt> Send)[messages.Length];
        var submitted = 0;
        for (var i = 0; i < messages.Length; i++)
        {
            if (messages[i] is not { } valid)
            {
                continue; // invalid: its problem is already in results
            }

            var send = Submit(session, valid.Message, delivery, idempotencyKey is null ? null : $"{idempotencyKey}:{i}", valid.Reports, cancellationToken);
            sends[submitted++] = (i, send);
            if (send.IsFaulted && send.Exception?.InnerException is not XmppTimeoutException)
            {
                // Refused at admission: the rest is not tried (see above).
                break;
            }
        }

        (int Index, ProblemDetails Problem)? refusal = null;
        for (var n = 0; n < submitted; n++)
        {
            var (index, send) = sends[n];
            try
            {
                var receipt = await send;
                results[index] = new MessageBatchItemDto { Index = index, Id = receipt.StanzaId, AckedByServer = receipt.AckedByServer };
            }
            catch (XmppTimeoutException ex) when (delivery == DeliveryWait.Server)
            {
                // Queued, but not acknowledged in time (504, as a single send answers): it is still sent.
                results[index] = Refused(index, GatewayProblems.FromMapping(httpContext, XmppExceptionHandler.MapAndLog(logger, httpContext, ex)));
            }
#pragma warning disable CA1031 // Each message's failure becomes its own problem; a bug is logged at Error by MapAndLog.
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
            {
                var problem = GatewayProblems.FromMapping(httpContext, XmppExceptionHandler.MapAndLog(logger, httpContext, ex));
                results[index] = Refused(index, problem);
                refusal ??= (index, problem);
            }
        }

        if (refusal is { } first)
        {
            for (var i = first.Index + 1; i < messages.Length; i++)
            {
                if (messages[i] is not null && results[i] is null)
                {
                    results[i] = Refused(i, NotTried(first.Index, first.Problem));
                }
            }
        }
    }

    /// <summary>The send as a task, also when the session refuses it by throwing at once.</summary>
    private static Task<SendReceipt> Submit(IManagedSession session, Message message, DeliveryWait delivery, string? key, RecipientReports reports, CancellationToken cancellationToken)
    {
        try
        {
            return session.EnqueueAsync(message, delivery, key, reports, cancellationToken);
        }
#pragma warning disable CA1031 // Becomes that message's problem, like a refusal the task carries.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return Task.FromException<SendReceipt>(ex);
        }
    }

    private static MessageBatchItemDto Refused(int index, ProblemDetails problem)
    {
        // The framework completes 'type' only for the problem it writes as a response, not for one inside a body.
        problem.Type ??= GatewayProblems.TypeFor(problem.Status ?? StatusCodes.Status500InternalServerError);
        return new MessageBatchItemDto { Index = index, Problem = problem };
    }

    /// <summary>A message after a refused one: not tried, with the refusal's status, code and retry hint.</summary>
    private static ProblemDetails NotTried(int refusedIndex, ProblemDetails refusal)
    {
        var problem = new ProblemDetails
        {
            Type = refusal.Type,
            Title = refusal.Title,
            Status = refusal.Status,
            Detail = $"Not sent: message {refusedIndex} of this batch was refused first ({refusal.Extensions["code"]}) and a batch is " +
                $"sent in order; send again from message {refusedIndex}.",
        };
        foreach (var (name, value) in refusal.Extensions)
        {
            problem.Extensions[name] = value;
        }

        return problem;
    }
}
