using Gateway.Api.Auth;
using Gateway.Api.Contracts;
using Gateway.Api.Errors;
using Gateway.Api.OpenApi;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gateway.Api.Endpoints.Server;

/// <summary><c>GET /api/v1/sessions/{id}/server</c>: what the account's server offers (XEP-0030).</summary>
internal static class ServerApi
{
    public const string Tag = "Account";

    public static RouteGroupBuilder MapServer(this RouteGroupBuilder group)
    {
        group.MapGet("/{id}/server", Get)
            .RequireScope(ApiScopes.Read)
            .WithTags(Tag)
            .Documented(
                "GetServerCapabilities",
                "Get the server's capabilities",
                "What the account's server offers, so an application can adapt: disco#info of the server's domain " +
                "(identities, features such as `urn:xmpp:mam:2`, `urn:xmpp:carbons:2`, `urn:xmpp:blocking`, and XEP-0128 " +
                "forms), and its disco#items (components such as the group chat and upload services) each with its own " +
                "disco#info (null when it did not answer); and disco#info of the account's bare JID (`account`), where servers " +
                "announce per-account features such as MAM and PEP. `upload` summarises the XEP-0363 service and its size limit. " +
                "Asked once per stream and then answered from memory; a new stream (not a resumed one) asks again.",
                responseExamples: new Dictionary<int, object> { [200] = Examples.ServerCapabilities })
            .ProducesProblems(404, 409, 429, 502, 503, 504);
        return group;
    }

    /// <param name="id">The session id.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<Ok<ServerCapabilitiesDto>, ProblemHttpResult>> Get(string id, HttpContext httpContext, ISessionPool pool, CancellationToken cancellationToken)
    {
        if (!SessionLookup.TryFind(httpContext, pool, id, out var session))
        {
            return GatewayProblems.SessionNotFound(httpContext, id);
        }

        return TypedResults.Ok(AccountMapper.ToDto(await session.Account.GetServerCapabilitiesAsync(cancellationToken)));
    }
}
