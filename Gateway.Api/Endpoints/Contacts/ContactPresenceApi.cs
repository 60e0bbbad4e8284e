using Gateway.Api.Auth;
using Gateway.Api.Contracts;
using Gateway.Api.Errors;
using Gateway.Api.OpenApi;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gateway.Api.Endpoints.Contacts;

/// <summary><c>GET /api/v1/sessions/{id}/presence</c>: the contacts' presence as the session has seen it (RFC 6121 §4).</summary>
internal static class ContactPresenceApi
{
    public static RouteGroupBuilder MapContactPresence(this RouteGroupBuilder group)
    {
        group.MapGet("/{id}/presence", Get)
            .RequireScope(ApiScopes.Read)
            .WithTags(Roster.RosterApi.Tag)
            .Documented(
                "GetPresence",
                "Get the contacts' presence",
                "The current presence of every roster contact, as this session has received it: per available resource " +
                "(full JID) its show, status, priority and when it arrived; a contact with no available resource is " +
                "unavailable (with when and why, if its unavailable presence arrived). `account` lists the account's own " +
                "resources, this session's among them. Answered from memory, no XMPP request: only contacts in the roster " +
                "and the account count (presence from anyone else is ignored). A new stream that could not resume starts " +
                "empty and fills within moments, as the server sends every contact's presence after initial presence " +
                "(RFC 6121 §4.4); changes arrive as `presence` events.",
                responseExamples: new Dictionary<int, object> { [200] = Examples.PresenceSnapshot })
            .ProducesProblems(404, 429);
        return group;
    }

    /// <param name="id">The session id.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    internal static Results<Ok<PresenceSnapshotDto>, ProblemHttpResult> Get(string id, HttpContext httpContext, ISessionPool pool) =>
        SessionLookup.TryFind(httpContext, pool, id, out var session)
            ? TypedResults.Ok(AccountMapper.ToDto(session.Account.GetPresence()))
            : GatewayProblems.SessionNotFound(httpContext, id);
}
