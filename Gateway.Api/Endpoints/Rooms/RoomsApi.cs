using Gateway.Api.Auth;
using Gateway.Api.Contracts;
using Gateway.Api.Errors;
using Gateway.Api.OpenApi;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gateway.Api.Endpoints.Rooms;

/// <summary>
/// <c>/api/v1/sessions/{id}/rooms</c>: group chat (XEP-0045) as a resource. A room the session joined is kept: the
/// session enters it again by itself after every new stream and every gateway restart.
/// </summary>
internal static partial class RoomsApi
{
    public const string Tag = "Rooms";

    public static RouteGroupBuilder MapRooms(this RouteGroupBuilder group)
    {
        group.MapGet("/{id}/rooms", List)
            .RequireScope(ApiScopes.Read)
            .WithTags(Tag)
            .Documented(
                "ListRooms",
                "List joined rooms",
                "The rooms the session is in or entering: room, our nick, `state` (`joining`, `joined`, or `rejoining` " +
                "after a new stream until the room confirmed), the subject, our role and affiliation.",
                responseExamples: new Dictionary<int, object> { [200] = RoomExamples.Rooms })
            .ProducesProblems(404, 429);

        group.MapPut("/{id}/rooms/{room}", Join)
            .RequireScope(ApiScopes.Send)
            .WithTags(Tag)
            .Documented(
                "JoinRoom",
                "Join a room",
                "Enters the room (XEP-0045 §7.2) under `nick` and answers 200 once the room confirmed it (its presence " +
                "about us with status 110), with the room as `GET …/rooms` shows it. A room that does not exist is created " +
                "where the service allows it, and unlocked with its default configuration (an instant room, §10.1.2). " +
                "`history` limits the discussion history sent on entering (§7.2.15); it arrives as `room-message` events. " +
                "Already in the room under the same nick: 200 at once; under another nick: the nick is changed (§7.6). " +
                "The room's refusals: 409 `conflict` (nick in use), 403 `not-authorized` (wrong or missing password), " +
                "`registration-required` (members-only) or `forbidden` (banned), 404 `item-not-found` (the room is locked, " +
                "or the service does not let us create it), each with `xmppCondition`; 504 when the room did not answer in " +
                "time (the session is then not in the room). The password is stored encrypted and never returned.",
                RoomExamples.Join,
                new Dictionary<int, object> { [200] = RoomExamples.Room })
            .ProducesProblems(400, 403, 404, 409, 413, 415, 429, 502, 503, 504);

        group.MapDelete("/{id}/rooms/{room}", Leave)
            .RequireScope(ApiScopes.Send)
            .WithTags(Tag)
            .Documented(
                "LeaveRoom",
                "Leave a room",
                "Leaves the room (XEP-0045 §7.14): 204 once the room confirmed (or its answer did not come in time); the " +
                "session no longer enters it. 404 `room-not-found` when the session is not in it.")
            .ProducesProblems(400, 404, 409, 429, 503);

        group.MapGet("/{id}/rooms/{room}/occupants", Occupants)
            .RequireScope(ApiScopes.Read)
            .WithTags(Tag)
            .Documented(
                "ListRoomOccupants",
                "List a room's occupants",
                "Who is in the room, as the room last showed it (us included): nick, real JID when the room lets us see " +
                "it, role and affiliation. Changes arrive as `room-occupant` events. 404 `room-not-found` when the session " +
                "is not in the room.",
                responseExamples: new Dictionary<int, object> { [200] = RoomExamples.Occupants })
            .ProducesProblems(400, 404, 429);

        group.MapPost("/{id}/rooms/{room}/messages", Send)
            .RequireScope(ApiScopes.Send)
            .WithTags(Tag)
            .Documented(
                "SendRoomMessage",
                "Send a message to a room",
                "Sends a groupchat message (XEP-0045 §7.4) and answers 200 with its id once the room reflected it to its " +
                "occupants. 409 `room-not-joined` when the session is not (yet) in the room; the room's refusal (a message " +
                "error, e.g. 403 `forbidden` for a visitor in a moderated room) as a problem with `xmppCondition`; 504 when " +
                "neither came in time (the message may still have reached the room).",
                RoomExamples.Message,
                new Dictionary<int, object> { [200] = RoomExamples.MessageAccepted })
            .ProducesProblems(400, 403, 404, 409, 413, 415, 429, 502, 503, 504);

        group.MapPut("/{id}/rooms/{room}/subject", SetSubject)
            .RequireScope(ApiScopes.Send)
            .WithTags(Tag)
            .Documented(
                "SetRoomSubject",
                "Change a room's subject",
                "Changes the subject (XEP-0045 §8.1): 204 once the room announced it (a `room-subject` event follows). " +
                "403 `forbidden` when our role may not; 409 `room-not-joined`.",
                RoomExamples.Subject)
            .ProducesProblems(400, 403, 404, 409, 413, 415, 429, 502, 503, 504);

        group.MapPost("/{id}/rooms/{room}/invitations", Invite)
            .RequireScope(ApiScopes.Send)
            .WithTags(Tag)
            .Documented(
                "InviteToRoom",
                "Invite someone to a room",
                "Sends a XEP-0249 direct invitation (with the room's password, if any) and answers 202 with the message " +
                "id. 409 `room-not-joined` when the session is not in the room.",
                RoomExamples.Invitation,
                new Dictionary<int, object> { [202] = Examples.Accepted })
            .ProducesProblems(400, 404, 409, 413, 415, 429, 503);

        group.MapPost("/{id}/rooms/{room}/occupants/{nick}/messages", SendPrivate)
            .RequireScope(ApiScopes.Send)
            .WithTags(Tag)
            .Documented(
                "SendPrivateRoomMessage",
                "Send a private message to an occupant",
                "Sends a private message through the room (XEP-0045 §7.5) and answers 202 with its id; answers arrive as " +
                "`message` events from `room@service/nick`. 409 `room-not-joined` when the session is not in the room.",
                RoomExamples.Message,
                new Dictionary<int, object> { [202] = Examples.Accepted })
            .ProducesProblems(400, 404, 409, 413, 415, 429, 503);

        group.MapPut("/{id}/rooms/{room}/occupants/{nick}/role", SetRole)
            .RequireScope(ApiScopes.Send)
            .WithTags(Tag)
            .Documented(
                "SetOccupantRole",
                "Change an occupant's role (kick)",
                "Changes the occupant's role (XEP-0045 §8.4-8.6, §9.6-9.8); `none` kicks (§8.2). 204 once the room " +
                "confirmed; 403 `not-allowed` or `forbidden` when our role or affiliation may not; 409 `room-not-joined`.",
                RoomExamples.Role)
            .ProducesProblems(400, 403, 404, 409, 413, 415, 429, 502, 503, 504);

        group.MapPut("/{id}/rooms/{room}/affiliations/{jid}", SetAffiliation)
            .RequireScope(ApiScopes.Send)
            .WithTags(Tag)
            .Documented(
                "SetRoomAffiliation",
                "Change a user's affiliation (ban)",
                "Changes the user's long-lived affiliation with the room (XEP-0045 §9.1-9.5, §10.3-10.8); `outcast` bans. " +
                "204 once the room confirmed; 403 `not-allowed` or `forbidden` when our affiliation may not; 409 " +
                "`room-not-joined`.",
                RoomExamples.Affiliation)
            .ProducesProblems(400, 403, 404, 409, 413, 415, 429, 502, 503, 504);
        return group;
    }

    /// <param name="id">The session id.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    internal static Results<Ok<RoomDto[]>, ProblemHttpResult> List(string id, HttpContext httpContext, ISessionPool pool) =>
        SessionLookup.TryFind(httpContext, pool, id, out var session)
            ? TypedResults.Ok(session.Rooms.List().Select(RoomMapper.ToDto).ToArray())
            : GatewayProblems.SessionNotFound(httpContext, id);

    /// <param name="id">The session id.</param>
    /// <param name="room">The room's bare JID, e.g. dev@conference.example.com.</param>
    /// <param name="body">Nick, password, history.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<Ok<RoomDto>, ProblemHttpResult>> Join(
        string id, string room, JoinRoomRequest body, HttpContext httpContext, ISessionPool pool, CancellationToken cancellationToken)
    {
        if (!SessionLookup.TryFind(httpContext, pool, id, out var session))
        {
            return GatewayProblems.SessionNotFound(httpContext, id);
        }

        if (!RequestMapper.TryCreateJoin(room, body, out var roomJid, out var nick, out var history, out var errors))
        {
            return GatewayProblems.Validation(httpContext, errors);
        }

        var joined = await session.Rooms.JoinAsync(roomJid, nick, body.Password, history, cancellationToken);
        return TypedResults.Ok(RoomMapper.ToDto(joined));
    }

    /// <param name="id">The session id.</param>
    /// <param name="room">The room's bare JID.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<NoContent, ProblemHttpResult>> Leave(string id, string room, HttpContext httpContext, ISessionPool pool, CancellationToken cancellationToken)
    {
        if (!TryFindRoom(httpContext, pool, id, room, out var session, out var roomJid, out var problem))
        {
            return problem;
        }

        return await session.Rooms.LeaveAsync(roomJid, cancellationToken)
            ? TypedResults.NoContent()
            : RoomNotFound(httpContext, roomJid);
    }

    /// <param name="id">The session id.</param>
    /// <param name="room">The room's bare JID.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    internal static Results<Ok<OccupantDto[]>, ProblemHttpResult> Occupants(string id, string room, HttpContext httpContext, ISessionPool pool)
    {
        if (!TryFindRoom(httpContext, pool, id, room, out var session, out var roomJid, out var problem))
        {
            return problem;
        }

        return session.Rooms.Occupants(roomJid) is { } occupants
            ? TypedResults.Ok(occupants.Select(RoomMapper.ToDto).ToArray())
            : RoomNotFound(httpContext, roomJid);
    }

    /// <param name="id">The session id.</param>
    /// <param name="room">The room's bare JID.</param>
    /// <param name="body">The message.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<Ok<RoomMessageAcceptedDto>, ProblemHttpResult>> Send(
        string id, string room, PostRoomMessageRequest body, HttpContext httpContext, ISessionPool pool, CancellationToken cancellationToken)
    {
        if (!TryFindRoom(httpContext, pool, id, room, out var session, out var roomJid, out var problem))
        {
            return problem;
        }

        if (!RequestMapper.TryCreateRoomMessage(body, out var message, out var errors))
        {
            return GatewayProblems.Validation(httpContext, errors);
        }

        var messageId = await session.Rooms.SendAsync(roomJid, message, cancellationToken);
        return TypedResults.Ok(new RoomMessageAcceptedDto(messageId));
    }

    /// <param name="id">The session id.</param>
    /// <param name="room">The room's bare JID.</param>
    /// <param name="body">The subject.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<NoContent, ProblemHttpResult>> SetSubject(
        string id, string room, PutRoomSubjectRequest body, HttpContext httpContext, ISessionPool pool, CancellationToken cancellationToken)
    {
        if (!TryFindRoom(httpContext, pool, id, room, out var session, out var roomJid, out var problem))
        {
            return problem;
        }

        var errors = new Dictionary<string, string[]>();
        RequestMapper.Subject(body.Subject, errors);
        if (errors.Count > 0)
        {
            return GatewayProblems.Validation(httpContext, errors);
        }

        await session.Rooms.SetSubjectAsync(roomJid, body.Subject, cancellationToken);
        return TypedResults.NoContent();
    }
}
