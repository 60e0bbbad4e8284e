using Gateway.Api.Auth;
using Gateway.Api.Contracts;
using Gateway.Api.Errors;
using Gateway.Api.OpenApi;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gateway.Api.Endpoints.Iq;

/// <summary><c>POST /api/v1/sessions/{id}/iq</c>: send an IQ request and get its reply, or answer a received one.</summary>
internal static class IqApi
{
    public const string Tag = "IQ";

    public static RouteGroupBuilder MapIq(this RouteGroupBuilder group)
    {
        group.MapPost("/{id}/iq", Post)
            .RequireScope(ApiScopes.Send)
            .WithTags(Tag)
            .Documented(
                "SendIq",
                "Send an IQ request, or answer one",
                "**Request** (`type` get or set): sends the IQ with `payload` as its query element and waits for the reply " +
                "(up to `timeoutSeconds`, default the pool's IQ timeout): 200 with the result. An error reply becomes a " +
                "problem with its condition in `xmppCondition`, `xmppErrorType` and `xmppText`, and the status mapped from " +
                "the condition: item-not-found 404; bad-request, jid-malformed 400; forbidden, not-authorized 403; conflict " +
                "409; feature-not-implemented 501; service-unavailable 503; remote-server-timeout 504; any other 502. No " +
                "reply in time: 504 `xmpp-timeout`.\n\n" +
                "**Answer** (`type` result or error): answers an IQ get/set this session received (an `iq-request` event) " +
                "by its `id`, with `to` the requester: 204, or 404 `iq-request-not-found` when no such request is waiting " +
                "(already answered, or the gateway answered `service-unavailable` after the event's `answerBy`).",
                Examples.IqGet,
                new Dictionary<int, object>
                {
                    [200] = Examples.IqResult,
                    [404] = Examples.Make(404, ProblemCodes.XmppStanzaError, "XMPP stanza error 'item-not-found' (type cancel)") with
                    {
                        XmppCondition = "item-not-found",
                        XmppErrorType = "cancel",
                    },
                })
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblems(400, 403, 404, 409, 413, 415, 429, 501, 502, 503, 504);
        return group;
    }

    /// <param name="id">The session id.</param>
    /// <param name="body">The request or answer.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<Ok<IqDto>, NoContent, ProblemHttpResult>> Post(
        string id, PostIqRequest body, HttpContext httpContext, ISessionPool pool, CancellationToken cancellationToken)
    {
        if (!SessionLookup.TryFind(httpContext, pool, id, out var session))
        {
            return GatewayProblems.SessionNotFound(httpContext, id);
        }

        if (!RequestMapper.TryCreateIq(body, out var iq, out var isAnswer, out var timeout, out var errors))
        {
            return GatewayProblems.Validation(httpContext, errors);
        }

        if (isAnswer)
        {
            return await session.AnswerIqAsync(iq, cancellationToken)
                ? TypedResults.NoContent()
                : IqRequestNotFound(httpContext, iq.Id!);
        }

        var reply = await session.SendIqAsync(iq, timeout, cancellationToken);
        return TypedResults.Ok(StanzaMapper.ToDto(reply));
    }

    public static ProblemHttpResult IqRequestNotFound(HttpContext httpContext, string id) =>
        GatewayProblems.Result(httpContext, StatusCodes.Status404NotFound, ProblemCodes.IqRequestNotFound,
            $"No IQ request with id '{GatewayProblems.Truncate(id)}' is waiting for an answer on this session: it was answered " +
            "already, the gateway answered service-unavailable after its answerBy, or it never arrived.");
}
