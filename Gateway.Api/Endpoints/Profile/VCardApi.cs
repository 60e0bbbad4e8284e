using Gateway.Api.Auth;
using Gateway.Api.Contracts;
using Gateway.Api.Errors;
using Gateway.Api.OpenApi;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Api.Endpoints.Profile;

/// <summary><c>/api/v1/sessions/{id}/vcard</c>: vCards (XEP-0054 vcard-temp).</summary>
internal static class VCardApi
{
    public const string Tag = "Profile";

    public static RouteGroupBuilder MapVCard(this RouteGroupBuilder group)
    {
        group.MapGet("/{id}/vcard", Get)
            .RequireScope(ApiScopes.Read)
            .WithTags(Tag)
            .Documented(
                "GetVCard",
                "Get a vCard",
                "The vCard of `?jid=` (a bare JID; its server answers for it), or the account's own without it (XEP-0054 " +
                "§3.1): the usual fields, and `xml`, the whole card with what the fields do not model. A user without a card " +
                "gets an empty one, or 404 `item-not-found`, as the server has it. 409 `feature-not-supported` when the " +
                "account's server does not announce `vcard-temp`.",
                responseExamples: new Dictionary<int, object> { [200] = Examples.VCard, [409] = Examples.VCardNotSupported })
            .ProducesProblems(400, 404, 409, 429, 502, 503, 504);

        group.MapPut("/{id}/vcard", Put)
            .RequireScope(ApiScopes.Send)
            .WithTags(Tag)
            .Documented(
                "PutVCard",
                "Set the account's vCard",
                "Replaces the account's whole vCard (XEP-0054 §3.2; fields left out are removed): either the typed fields, " +
                "or `xml`, one `<vCard xmlns='vcard-temp'/>` element. 204 once the server stored it. The avatar is set " +
                "with `PUT …/avatar` (XEP-0084), not here.",
                Examples.PutVCard,
                new Dictionary<int, object> { [409] = Examples.VCardNotSupported })
            .ProducesProblems(400, 404, 409, 413, 415, 429, 502, 503, 504);
        return group;
    }

    /// <param name="id">The session id.</param>
    /// <param name="jid">Whose vCard (a bare JID); the account's own when left out.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<Ok<VCardDto>, ProblemHttpResult>> Get(string id, [FromQuery] string? jid, HttpContext httpContext, ISessionPool pool, CancellationToken cancellationToken)
    {
        if (!SessionLookup.TryFind(httpContext, pool, id, out var session))
        {
            return GatewayProblems.SessionNotFound(httpContext, id);
        }

        if (!AccountJids.TryParseOwner(jid, out var owner, out var errors))
        {
            return GatewayProblems.Validation(httpContext, errors);
        }

        var card = await session.Account.GetVCardAsync(owner, cancellationToken);
        return TypedResults.Ok(AccountMapper.ToDto(owner ?? session.Info.Jid, card));
    }

    /// <param name="id">The session id.</param>
    /// <param name="body">The new card.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<NoContent, ProblemHttpResult>> Put(string id, PutVCardRequest body, HttpContext httpContext, ISessionPool pool, CancellationToken cancellationToken)
    {
        if (!SessionLookup.TryFind(httpContext, pool, id, out var session))
        {
            return GatewayProblems.SessionNotFound(httpContext, id);
        }

        if (!AccountMapper.TryCreateVCard(body, out var vcard, out var errors))
        {
            return GatewayProblems.Validation(httpContext, errors);
        }

        await session.Account.SetVCardAsync(vcard, cancellationToken);
        return TypedResults.NoContent();
    }
}
