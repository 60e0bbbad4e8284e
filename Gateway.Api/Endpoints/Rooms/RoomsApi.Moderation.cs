using System.Diagnostics.CodeAnalysis;
using Gateway.Api.Contracts;
using Gateway.Api.Errors;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gateway.Api.Endpoints.Rooms;

/// <summary>Invitations, private messages, roles and affiliations.</summary>
internal static partial class RoomsApi
{
    /// <param name="id">The session id.</param>
    /// <param name="room">The room's bare JID.</param>
    /// <param name="body">Whom, and why.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<Accepted<StanzaAcceptedDto>, ProblemHttpResult>> Invite(
        string id, string room, PostRoomInvitationRequest body, HttpContext httpContext, ISessionPool pool, CancellationToken cancellationToken)
    {
        if (!TryFindRoom(httpContext, pool, id, room, out var session, out var roomJid, out var problem))
        {
            return problem;
        }

        var errors = new Dictionary<string, string[]>();
        var invitee = RequestMapper.UserJid(body.Jid, "jid", errors);
        RequestMapper.Reason(body.Reason, errors);
        if (invitee is null || errors.Count > 0)
        {
            return GatewayProblems.Validation(httpContext, errors);
        }

        var messageId = await session.Rooms.InviteAsync(roomJid, invitee, body.Reason, cancellationToken);
        return TypedResults.Accepted((string?)null, new StanzaAcceptedDto(messageId, AckedByServer: false));
    }

    /// <param name="id">The session id.</param>
    /// <param name="room">The room's bare JID.</param>
    /// <param name="nick">The occupant's nick.</param>
    /// <param name="body">The message.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<Accepted<StanzaAcceptedDto>, ProblemHttpResult>> SendPrivate(
        string id, string room, string nick, PostRoomMessageRequest body, HttpContext httpContext, ISessionPool pool, CancellationToken cancellationToken)
    {
        if (!TryFindRoom(httpContext, pool, id, room, out var session, out var roomJid, out var problem))
        {
            return problem;
        }

        if (!RequestMapper.TryCreateRoomMessage(body, out var message, out var errors) | RequestMapper.Nick(roomJid, nick, "nick", errors) is null)
        {
            return GatewayProblems.Validation(httpContext, errors);
        }

        var messageId = await session.Rooms.SendPrivateAsync(roomJid, nick, message!, cancellationToken);
        return TypedResults.Accepted((string?)null, new StanzaAcceptedDto(messageId, AckedByServer: false));
    }

    /// <param name="id">The session id.</param>
    /// <param name="room">The room's bare JID.</param>
    /// <param name="nick">The occupant's nick.</param>
    /// <param name="body">The role, and why.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<NoContent, ProblemHttpResult>> SetRole(
        string id, string room, string nick, PutOccupantRoleRequest body, HttpContext httpContext, ISessionPool pool, CancellationToken cancellationToken)
    {
        if (!TryFindRoom(httpContext, pool, id, room, out var session, out var roomJid, out var problem))
        {
            return problem;
        }

        var errors = new Dictionary<string, string[]>();
        var role = RequestMapper.Role(body.Role, errors);
        RequestMapper.Nick(roomJid, nick, "nick", errors);
        RequestMapper.Reason(body.Reason, errors);
        if (role is null || errors.Count > 0)
        {
            return GatewayProblems.Validation(httpContext, errors);
        }

        await session.Rooms.SetRoleAsync(roomJid, nick, role.Value, body.Reason, cancellationToken);
        return TypedResults.NoContent();
    }

    /// <param name="id">The session id.</param>
    /// <param name="room">The room's bare JID.</param>
    /// <param name="jid">The user's bare JID.</param>
    /// <param name="body">The affiliation, and why.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<NoContent, ProblemHttpResult>> SetAffiliation(
        string id, string room, string jid, PutAffiliationRequest body, HttpContext httpContext, ISessionPool pool, CancellationToken cancellationToken)
    {
        if (!TryFindRoom(httpContext, pool, id, room, out var session, out var roomJid, out var problem))
        {
            return problem;
        }

        var errors = new Dictionary<string, string[]>();
        var affiliation = RequestMapper.Affiliation(body.Affiliation, errors);
        var user = RequestMapper.UserJid(jid, "jid", errors);
        RequestMapper.Reason(body.Reason, errors);
        if (affiliation is null || user is null || errors.Count > 0)
        {
            return GatewayProblems.Validation(httpContext, errors);
        }

        await session.Rooms.SetAffiliationAsync(roomJid, user, affiliation.Value, body.Reason, cancellationToken);
        return TypedResults.NoContent();
    }

    private static bool TryFindRoom(
        HttpContext httpContext, ISessionPool pool, string id, string room,
        [NotNullWhen(true)] out IManagedSession? session, [NotNullWhen(true)] out Jid? roomJid, [NotNullWhen(false)] out ProblemHttpResult? problem)
    {
        roomJid = null;
        problem = null;
        if (!SessionLookup.TryFind(httpContext, pool, id, out session))
        {
            problem = GatewayProblems.SessionNotFound(httpContext, id);
            return false;
        }

        var errors = new Dictionary<string, string[]>();
        roomJid = RequestMapper.RoomJid(room, errors);
        if (roomJid is null)
        {
            problem = GatewayProblems.Validation(httpContext, errors);
            return false;
        }

        return true;
    }

    private static ProblemHttpResult RoomNotFound(HttpContext httpContext, Jid room) =>
        GatewayProblems.Result(httpContext, StatusCodes.Status404NotFound, ProblemCodes.RoomNotFound, $"The session is not in room '{room}'.");
}
