using Gateway.Api.Auth;
using Gateway.Api.Contracts;
using Gateway.Api.Errors;
using Gateway.Api.OpenApi;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gateway.Api.Endpoints.Roster;

/// <summary><c>/api/v1/sessions/{id}/roster</c>: the account's contact list (RFC 6121 §2).</summary>
internal static class RosterApi
{
    public const string Tag = "Roster";

    public static RouteGroupBuilder MapRoster(this RouteGroupBuilder group)
    {
        group.MapGet("/{id}/roster", Get)
            .RequireScope(ApiScopes.Read)
            .WithTags(Tag)
            .Documented(
                "GetRoster",
                "Get the roster",
                "Fetches the roster from the server (RFC 6121 §2.1.3): every contact with name, groups and subscription " +
                "state (none, to, from, both; `pendingOut` while a subscription request awaits the contact's answer). " +
                "Later changes arrive as `roster-push` events.",
                responseExamples: new Dictionary<int, object> { [200] = Examples.Roster })
            .ProducesProblems(404, 409, 429, 502, 503, 504);

        group.MapPut("/{id}/roster/{jid}", Put)
            .RequireScope(ApiScopes.Send)
            .WithTags(Tag)
            .Documented(
                "PutRosterItem",
                "Add or update a contact",
                "Adds the bare JID to the roster or updates its name and groups (RFC 6121 §2.3); the body may be left out. " +
                "204 once the server confirmed. This does not subscribe to the contact's presence: send presence of type " +
                "`subscribe` for that.",
                Examples.RosterItem)
            .ProducesProblems(400, 403, 404, 409, 413, 415, 429, 502, 503, 504);

        group.MapDelete("/{id}/roster/{jid}", Delete)
            .RequireScope(ApiScopes.Send)
            .WithTags(Tag)
            .Documented(
                "DeleteRosterItem",
                "Remove a contact",
                "Removes the bare JID from the roster, cancelling subscriptions both ways (RFC 6121 §2.5): 204. 404 with " +
                "`xmppCondition` `item-not-found` when it is not in the roster.")
            .ProducesProblems(400, 404, 409, 429, 502, 503, 504);
        return group;
    }

    /// <param name="id">The session id.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<Ok<RosterDto>, ProblemHttpResult>> Get(string id, HttpContext httpContext, ISessionPool pool, CancellationToken cancellationToken)
    {
        if (!SessionLookup.TryFind(httpContext, pool, id, out var session))
        {
            return GatewayProblems.SessionNotFound(httpContext, id);
        }

        var roster = await session.GetRosterAsync(cancellationToken);
        return TypedResults.Ok(new RosterDto([.. roster.Items.Select(StanzaMapper.ToDto)], roster.Version));
    }

    /// <param name="id">The session id.</param>
    /// <param name="jid">The contact's bare JID, e.g. bob@example.com.</param>
    /// <param name="body">Name and groups; may be left out.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<NoContent, ProblemHttpResult>> Put(
        string id, string jid, PutRosterItemRequest? body, HttpContext httpContext, ISessionPool pool, CancellationToken cancellationToken)
    {
        if (!SessionLookup.TryFind(httpContext, pool, id, out var session))
        {
            return GatewayProblems.SessionNotFound(httpContext, id);
        }

        if (!RequestMapper.TryCreateRosterItem(jid, body, out var item, out var errors))
        {
            return GatewayProblems.Validation(httpContext, errors);
        }

        await session.SetRosterItemAsync(item, cancellationToken);
        return TypedResults.NoContent();
    }

    /// <param name="id">The session id.</param>
    /// <param name="jid">The contact's bare JID, e.g. bob@example.com.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, string jid, HttpContext httpContext, ISessionPool pool, CancellationToken cancellationToken)
    {
        if (!SessionLookup.TryFind(httpContext, pool, id, out var session))
        {
            return GatewayProblems.SessionNotFound(httpContext, id);
        }

        var errors = new Dictionary<string, string[]>();
        if (RequestMapper.RosterJid(jid, errors) is not { } contact)
        {
            return GatewayProblems.Validation(httpContext, errors);
        }

        await session.RemoveRosterItemAsync(contact, cancellationToken);
        return TypedResults.NoContent();
    }
}
