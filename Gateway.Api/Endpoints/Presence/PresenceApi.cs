using Gateway.Api.Auth;
using Gateway.Api.Contracts;
using Gateway.Api.Errors;
using Gateway.Api.OpenApi;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Api.Endpoints.Presence;

/// <summary><c>POST /api/v1/sessions/{id}/presence</c>: availability and subscriptions.</summary>
internal static class PresenceApi
{
    public static RouteGroupBuilder MapPresence(this RouteGroupBuilder group)
    {
        group.MapPost("/{id}/presence", Send)
            .RequireScope(ApiScopes.Send)
            .WithTags(Messages.MessagesApi.Tag)
            .Documented(
                "SendPresence",
                "Send presence",
                "Queues a presence stanza and answers 202 with its id. Without `to` it is broadcast to the contacts " +
                "(RFC 6121 §4.2, §4.4); with `to` it is directed presence. Subscriptions go through here too: `subscribe` " +
                "asks a contact to see their presence, `subscribed` approves a request (or pre-approves, §3.4), " +
                "`unsubscribe` and `unsubscribed` cancel (§3.1-3.3); these need `to`. `show` (away, chat, dnd, xa) only " +
                "with available; `priority` -128..127. `?wait` works as for messages.",
                Examples.Presence,
                new Dictionary<int, object> { [202] = Examples.Accepted })
            .ProducesProblems(400, 404, 409, 413, 415, 429, 503, 504);
        return group;
    }

    /// <param name="id">The session id.</param>
    /// <param name="body">The presence.</param>
    /// <param name="wait"><c>queued</c> (default) or <c>server</c> (XEP-0198 acknowledgement).</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<Accepted<StanzaAcceptedDto>, ProblemHttpResult>> Send(
        string id, PostPresenceRequest body, [FromQuery] string? wait, HttpContext httpContext, ISessionPool pool, CancellationToken cancellationToken)
    {
        if (!SessionLookup.TryParseWait(wait, out var delivery))
        {
            return GatewayProblems.Validation(httpContext, SessionLookup.InvalidWait);
        }

        if (!SessionLookup.TryFind(httpContext, pool, id, out var session))
        {
            return GatewayProblems.SessionNotFound(httpContext, id);
        }

        if (!RequestMapper.TryCreatePresence(body, out var presence, out var errors))
        {
            return GatewayProblems.Validation(httpContext, errors);
        }

        var receipt = await session.EnqueueAsync(presence, delivery, cancellationToken);
        return TypedResults.Accepted((string?)null, new StanzaAcceptedDto(receipt.StanzaId, receipt.AckedByServer));
    }
}
