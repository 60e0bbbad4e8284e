// XEP-0313: Message Archive Management (v1.1.1) https://xmpp.org/extensions/xep-0313.html
// XEP-0059: Result Set Management (v1.0) https://xmpp.org/extensions/xep-0059.html
using Gateway.Api.Auth;
using Gateway.Api.Contracts;
using Gateway.Api.Errors;
using Gateway.Api.OpenApi;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gateway.Api.Endpoints.History;

/// <summary>
/// <c>GET /api/v1/sessions/{id}/history</c> and <c>…/rooms/{roomJid}/history</c>: pages of the account's own archive
/// and of a room's archive, through the session (XEP-0313 over XEP-0059 RSM), with opaque cursors.
/// </summary>
internal static class HistoryApi
{
    public const string Tag = "History";

    private const string Parameters =
        "Parameters: `with` (a JID: only messages exchanged with it), `start` and `end` (ISO 8601 instants, inclusive), " +
        "`limit` (1–100, default 50; a server may send fewer per page), `order` (`newest`, the default, or `oldest`: " +
        "the order of the items and of the pages), `cursor` (the `next` of the previous page: it carries the filters " +
        "and order, which may be left out then or repeated unchanged; sealed, so it cannot be edited or used on another " +
        "session or archive). Every archived message appears exactly once across the pages.\n\n" +
        "Items have the shape of `message` events, plus `stanzaId` (the archive's id) and `delay` (when it was " +
        "archived). `complete` is true on the page that reaches the end; `next` is null then.\n\n";

    private const string Refusals =
        "400 `validation-failed` for a malformed cursor, JID or date, start after end, a limit out of range; 404 " +
        "`session-not-found`; 503 while the session is not online; 504 `xmpp-timeout` when the server does not answer " +
        "in time. The archive's refusal: forbidden, not-authorized, registration-required 403; item-not-found 404 (an " +
        "unknown room, or a cursor's message no longer archived); 409 `history-unavailable` when the server or room " +
        "keeps no archive (feature-not-implemented, service-unavailable).";

    public static RouteGroupBuilder MapHistory(this RouteGroupBuilder group)
    {
        group.MapGet("/{id}/history", GetOwn)
            .RequireScope(ApiScopes.Read)
            .WithTags(Tag)
            .Documented(
                "GetHistory",
                "Read the account's message archive",
                "Pages through the account's own archive on its server (XEP-0313 §4): what it received and sent, " +
                "from every client of the account, including before the session existed.\n\n" + Parameters + Refusals,
                responseExamples: new Dictionary<int, object> { [200] = Examples.HistoryPage })
            .ProducesProblems(400, 403, 404, 409, 429, 502, 503, 504);

        group.MapGet("/{id}/rooms/{roomJid}/history", GetRoom)
            .RequireScope(ApiScopes.Read)
            .WithTags(Tag)
            .Documented(
                "GetRoomHistory",
                "Read a room's message archive",
                "Pages through a group chat's archive, asked of the room itself (XEP-0313 §5 with XEP-0045). The session " +
                "need not be in the room: a public room's archive is open to anyone (Prosody), a members-only room's " +
                "to its members, and a server may refuse it to non-occupants (403). `with` is refused (400): rooms do " +
                "not filter by it (Prosody ignores it).\n\n" + Parameters + Refusals,
                responseExamples: new Dictionary<int, object> { [200] = Examples.RoomHistoryPage })
            .ProducesProblems(400, 403, 404, 409, 429, 502, 503, 504);
        return group;
    }

    /// <param name="id">The session id.</param>
    /// <param name="with">Only messages exchanged with this JID.</param>
    /// <param name="start">Only messages archived at or after this instant (ISO 8601).</param>
    /// <param name="end">Only messages archived at or before this instant (ISO 8601).</param>
    /// <param name="limit">Items per page, 1–100 (default 50).</param>
    /// <param name="order">newest (default) or oldest.</param>
    /// <param name="cursor">The previous page's <c>next</c>.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="dataProtection">Seals and opens cursors.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<Ok<HistoryPageDto>, ProblemHttpResult>> GetOwn(
        string id, string? with, string? start, string? end, string? limit, string? order, string? cursor,
        HttpContext httpContext, ISessionPool pool, IDataProtectionProvider dataProtection, CancellationToken cancellationToken)
    {
        if (!SessionLookup.TryFind(httpContext, pool, id, out var session))
        {
            return GatewayProblems.SessionNotFound(httpContext, id);
        }

        var parameters = new HistoryRequest.Parameters(with, start, end, limit, order, cursor);
        return Result(httpContext, await HistoryReader.ReadOwnAsync(session, httpContext.User.GetTenant(), parameters, dataProtection, cancellationToken));
    }

    /// <param name="id">The session id.</param>
    /// <param name="roomJid">The room's bare JID, e.g. lobby@conference.example.com.</param>
    /// <param name="with">Not supported for rooms: refused with 400.</param>
    /// <param name="start">Only messages archived at or after this instant (ISO 8601).</param>
    /// <param name="end">Only messages archived at or before this instant (ISO 8601).</param>
    /// <param name="limit">Items per page, 1–100 (default 50).</param>
    /// <param name="order">newest (default) or oldest.</param>
    /// <param name="cursor">The previous page's <c>next</c>.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="dataProtection">Seals and opens cursors.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<Ok<HistoryPageDto>, ProblemHttpResult>> GetRoom(
        string id, string roomJid, string? with, string? start, string? end, string? limit, string? order, string? cursor,
        HttpContext httpContext, ISessionPool pool, IDataProtectionProvider dataProtection, CancellationToken cancellationToken)
    {
        // Checked before the session, like every other input: the answer does not depend on what exists.
        var parameters = new HistoryRequest.Parameters(with, start, end, limit, order, cursor);
        if (HistoryReader.CheckRoom(roomJid, parameters, out var room) is { } errors)
        {
            return GatewayProblems.Validation(httpContext, errors);
        }

        if (!SessionLookup.TryFind(httpContext, pool, id, out var session))
        {
            return GatewayProblems.SessionNotFound(httpContext, id);
        }

        return Result(httpContext, await HistoryReader.ReadAsync(session, httpContext.User.GetTenant(), room, parameters, dataProtection, cancellationToken));
    }

    private static Results<Ok<HistoryPageDto>, ProblemHttpResult> Result(HttpContext httpContext, HistoryOutcome outcome) => outcome switch
    {
        HistoryOutcome.Page page => TypedResults.Ok(page.Value),
        HistoryOutcome.Invalid invalid => GatewayProblems.Validation(httpContext, invalid.Errors),
        HistoryOutcome.Refused refused => TypedResults.Problem(GatewayProblems.FromMapping(httpContext, refused.Problem)),
        _ => throw new InvalidOperationException($"Unknown history outcome {outcome.GetType().Name}."),
    };
}
