using Gateway.Api.Auth;
using Gateway.Api.Contracts;
using Gateway.Api.Errors;
using Gateway.Api.OpenApi;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gateway.Api.Endpoints.Blocking;

/// <summary><c>/api/v1/sessions/{id}/blocklist</c>: blocking (XEP-0191).</summary>
internal static class BlockingApi
{
    public const string Tag = "Blocking";

    private const string Missing = " 409 `feature-not-supported` when the server does not announce `urn:xmpp:blocking`.";

    public static RouteGroupBuilder MapBlocking(this RouteGroupBuilder group)
    {
        group.MapGet("/{id}/blocklist", Get)
            .RequireScope(ApiScopes.Read)
            .WithTags(Tag)
            .Documented(
                "GetBlocklist",
                "Get the blocklist",
                "The JIDs the account blocks (XEP-0191 §3.2): the server drops their messages, presence and IQs to the " +
                "account and hides the account's presence from them. Changes, by this or any other client of the account, " +
                "arrive as `blocklist-push` events." + Missing,
                responseExamples: new Dictionary<int, object> { [200] = Examples.Blocklist, [409] = Examples.BlockingNotSupported })
            .ProducesProblems(404, 409, 429, 502, 503, 504);

        group.MapPut("/{id}/blocklist/{jid}", Put)
            .RequireScope(ApiScopes.Send)
            .WithTags(Tag)
            .Documented(
                "BlockJid",
                "Block a JID",
                "Blocks the JID (XEP-0191 §3.3): a bare JID blocks the user, a full JID one resource, a domain the whole " +
                "server. 204 once the server confirmed; 400 for an invalid JID." + Missing,
                responseExamples: new Dictionary<int, object> { [409] = Examples.BlockingNotSupported })
            .ProducesProblems(400, 404, 409, 429, 502, 503, 504);

        group.MapDelete("/{id}/blocklist/{jid}", Delete)
            .RequireScope(ApiScopes.Send)
            .WithTags(Tag)
            .Documented(
                "UnblockJid",
                "Unblock a JID",
                "Unblocks the JID (XEP-0191 §3.4): 204 once the server confirmed (also when it was not blocked)." + Missing,
                responseExamples: new Dictionary<int, object> { [409] = Examples.BlockingNotSupported })
            .ProducesProblems(400, 404, 409, 429, 502, 503, 504);

        group.MapDelete("/{id}/blocklist", DeleteAll)
            .RequireScope(ApiScopes.Send)
            .WithTags(Tag)
            .Documented(
                "UnblockAll",
                "Unblock everyone",
                "Empties the blocklist (XEP-0191 §3.5): 204 once the server confirmed." + Missing,
                responseExamples: new Dictionary<int, object> { [409] = Examples.BlockingNotSupported })
            .ProducesProblems(404, 409, 429, 502, 503, 504);
        return group;
    }

    /// <param name="id">The session id.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<Ok<BlocklistDto>, ProblemHttpResult>> Get(string id, HttpContext httpContext, ISessionPool pool, CancellationToken cancellationToken)
    {
        if (!SessionLookup.TryFind(httpContext, pool, id, out var session))
        {
            return GatewayProblems.SessionNotFound(httpContext, id);
        }

        var jids = await session.Account.GetBlocklistAsync(cancellationToken);
        return TypedResults.Ok(new BlocklistDto([.. jids.Select(j => j.ToString()).Order(StringComparer.Ordinal)]));
    }

    /// <param name="id">The session id.</param>
    /// <param name="jid">The JID to block: bare, full or a domain.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<NoContent, ProblemHttpResult>> Put(string id, string jid, HttpContext httpContext, ISessionPool pool, CancellationToken cancellationToken)
    {
        if (!SessionLookup.TryFind(httpContext, pool, id, out var session))
        {
            return GatewayProblems.SessionNotFound(httpContext, id);
        }

        var errors = new Dictionary<string, string[]>();
        if (RequestMapper.RequiredJid(jid, "jid", errors) is not { } blocked)
        {
            return GatewayProblems.Validation(httpContext, errors);
        }

        await session.Account.BlockAsync([blocked], cancellationToken);
        return TypedResults.NoContent();
    }

    /// <param name="id">The session id.</param>
    /// <param name="jid">The JID to unblock, as it was blocked.</param>
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
        if (RequestMapper.RequiredJid(jid, "jid", errors) is not { } unblocked)
        {
            return GatewayProblems.Validation(httpContext, errors);
        }

        await session.Account.UnblockAsync([unblocked], cancellationToken);
        return TypedResults.NoContent();
    }

    /// <param name="id">The session id.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<NoContent, ProblemHttpResult>> DeleteAll(string id, HttpContext httpContext, ISessionPool pool, CancellationToken cancellationToken)
    {
        if (!SessionLookup.TryFind(httpContext, pool, id, out var session))
        {
            return GatewayProblems.SessionNotFound(httpContext, id);
        }

        await session.Account.UnblockAsync([], cancellationToken);
        return TypedResults.NoContent();
    }
}
