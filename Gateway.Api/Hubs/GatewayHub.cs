using Gateway.Api.Auth;
using Gateway.Api.Contracts;
using Gateway.Api.Endpoints.History;
using Gateway.Api.Errors;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.SignalR;

namespace Gateway.Api.Hubs;

/// <summary>
/// The real-time face of the gateway at <c>/hubs/xmpp</c>: subscribe to sessions' events and send through them,
/// with the same semantics as the REST API. Subscriptions live in the <see cref="SessionEventDispatcher"/>, everything
/// else in the pool. Every session id is looked up within the caller's tenant; a foreign session looks exactly like an
/// unknown one.
/// </summary>
[Authorize]
public sealed class GatewayHub(
    ISessionPool pool,
    SessionEventDispatcher dispatcher,
    ILogger<GatewayHub> logger,
    IDataProtectionProvider dataProtection,
    Events.IRemoteSessionEvents? remote = null) : Hub<IGatewayClient>
{
    /// <summary>The path the hub is mapped at.</summary>
    public const string Path = "/hubs/xmpp";

    internal const string SessionNotFound = $"{ProblemCodes.SessionNotFound}: Session not found";

    /// <summary>Delivers the session's events to this connection from now on; see <see cref="SubscriptionDto.LastEventId"/>.</summary>
    public async Task<SubscriptionDto> Subscribe(string sessionId)
    {
        var (tenant, state, lastEventId) = await FindEventSourceAsync(sessionId);
        await dispatcher.SubscribeAsync(tenant, sessionId, Context.ConnectionId, lastEventId, fromNow: true, Context.ConnectionAborted);
        HubLog.Subscribed(logger, Context.ConnectionId, tenant, sessionId);
        return new SubscriptionDto(sessionId, SessionMapper.StateName(state), lastEventId);
    }

    /// <summary>
    /// Delivers the session's events after <paramref name="afterEventId"/> to this connection: first the missed ones from
    /// the event log, then live ones, each exactly once and in order (0: everything the log keeps). SignalR has no
    /// overloads, hence a second name for <c>Subscribe(sessionId, afterEventId)</c>. Fails with <c>replay-gap</c> when
    /// the log no longer keeps the events right after <paramref name="afterEventId"/>; the connection is then not subscribed.
    /// </summary>
    public async Task<SubscriptionDto> SubscribeAfter(string sessionId, long afterEventId)
    {
        var (tenant, state, _) = await FindEventSourceAsync(sessionId);
        if (afterEventId < 0)
        {
            throw new HubException($"{ProblemCodes.ValidationFailed}: afterEventId must be 0 or more");
        }

        await dispatcher.SubscribeAsync(tenant, sessionId, Context.ConnectionId, afterEventId, fromNow: false, Context.ConnectionAborted);
        HubLog.Subscribed(logger, Context.ConnectionId, tenant, sessionId);
        return new SubscriptionDto(sessionId, SessionMapper.StateName(state), afterEventId);
    }

    /// <summary>Stops delivering the session's events to this connection.</summary>
    public Task Unsubscribe(string sessionId)
    {
        var tenant = Tenant(ApiScopes.Read);

        // A subscription of this connection names a session of its tenant, wherever it runs (cross-node events).
        if (string.IsNullOrEmpty(sessionId) || (!dispatcher.Unsubscribe(tenant, sessionId, Context.ConnectionId) && pool.Find(tenant, sessionId) is null))
        {
            throw new HubException(SessionNotFound);
        }

        HubLog.Unsubscribed(logger, Context.ConnectionId, tenant, sessionId);
        return Task.CompletedTask;
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        dispatcher.RemoveConnection(Context.ConnectionId);
        return base.OnDisconnectedAsync(exception);
    }

    /// <summary>Sends a message through the session.</summary>
    public async Task<StanzaAcceptedDto> SendMessage(string sessionId, SendMessageRequest request)
    {
        var (_, session) = FindSession(sessionId, ApiScopes.Send);
        if (!HubRequests.TryCreate(Required(request), out var message, out var wait, out var reports, out var errors))
        {
            throw Invalid(errors);
        }

        var receipt = await session.EnqueueAsync(message, wait, request.IdempotencyKey, reports, Context.ConnectionAborted);
        return new StanzaAcceptedDto(receipt.StanzaId, receipt.AckedByServer);
    }

    /// <summary>Sends a presence through the session.</summary>
    public async Task<StanzaAcceptedDto> SendPresence(string sessionId, SendPresenceRequest request)
    {
        var (_, session) = FindSession(sessionId, ApiScopes.Send);
        if (!HubRequests.TryCreate(Required(request), out var presence, out var wait, out var errors))
        {
            throw Invalid(errors);
        }

        var receipt = await session.EnqueueAsync(presence, wait, Context.ConnectionAborted);
        return new StanzaAcceptedDto(receipt.StanzaId, receipt.AckedByServer);
    }

    /// <summary>Sends an IQ get/set through the session and returns the reply; an error reply fails the call with its condition.</summary>
    public async Task<IqDto> SendIq(string sessionId, SendIqRequest request)
    {
        var (_, session) = FindSession(sessionId, ApiScopes.Send);
        if (!HubRequests.TryCreate(Required(request), out var iq, out var timeout, out var errors))
        {
            throw Invalid(errors);
        }

        var reply = await session.SendIqAsync(iq, timeout, Context.ConnectionAborted);
        return StanzaMapper.ToDto(reply);
    }

    /// <summary>
    /// Answers an IQ request delivered by <see cref="IGatewayClient.OnIqRequest"/>. False when it was already answered
    /// (by an earlier answer, or by the gateway's <c>service-unavailable</c> after <see cref="IqRequestDto.AnswerBy"/>).
    /// </summary>
    public async Task<bool> AnswerIq(string sessionId, AnswerIqRequest request)
    {
        var (_, session) = FindSession(sessionId, ApiScopes.Send);
        if (!HubRequests.TryCreate(Required(request), out var answer, out var errors))
        {
            throw Invalid(errors);
        }

        return await session.AnswerIqAsync(answer, Context.ConnectionAborted);
    }

    /// <summary>A page of the account's message archive, as <c>GET …/history</c> answers it (see docs/history.md).</summary>
    public async Task<HistoryPageDto> GetHistory(string sessionId, HistoryRequestDto request)
    {
        var (tenant, session) = FindSession(sessionId, ApiScopes.Read);
        return Page(await HistoryReader.ReadOwnAsync(session, tenant, HistoryParameters(Required(request)), dataProtection, Context.ConnectionAborted));
    }

    /// <summary>A page of a room's message archive, as <c>GET …/rooms/{roomJid}/history</c> answers it.</summary>
    public async Task<HistoryPageDto> GetRoomHistory(string sessionId, string roomJid, HistoryRequestDto request)
    {
        var (tenant, session) = FindSession(sessionId, ApiScopes.Read);
        var parameters = HistoryParameters(Required(request));
        if (HistoryReader.CheckRoom(roomJid, parameters, out var room) is { } errors)
        {
            throw Invalid(errors);
        }

        return Page(await HistoryReader.ReadAsync(session, tenant, room, parameters, dataProtection, Context.ConnectionAborted));
    }

    private static HistoryRequest.Parameters HistoryParameters(HistoryRequestDto request) =>
        new(request.With, request.Start, request.End, request.Limit?.ToString(System.Globalization.CultureInfo.InvariantCulture), request.Order, request.Cursor);

    private static HistoryPageDto Page(HistoryOutcome outcome) => outcome switch
    {
        HistoryOutcome.Page page => page.Value,
        HistoryOutcome.Invalid invalid => throw Invalid(invalid.Errors),
        HistoryOutcome.Refused { Problem: var problem } => throw new HubException(problem.XmppCondition is { } condition
            ? $"{problem.Code} ({condition}): {problem.Detail}"
            : $"{problem.Code}: {problem.Detail}"),
        _ => throw new InvalidOperationException($"Unknown history outcome {outcome.GetType().Name}."),
    };

    private (string Tenant, IManagedSession Session) FindSession(string? sessionId, ApiScopes scope)
    {
        var tenant = Tenant(scope);

        // One answer for unknown and foreign sessions, so ids of other tenants cannot be probed.
        return !string.IsNullOrEmpty(sessionId) && pool.Find(tenant, sessionId) is { } session
            ? (tenant, session)
            : throw new HubException(SessionNotFound);
    }

    /// <summary>
    /// The session whose events to subscribe to: this node's, or in a cluster one that another node runs, whose events
    /// then reach this node (<see cref="Events.IRemoteSessionEvents"/>). Looked up within the caller's tenant either way.
    /// </summary>
    private async ValueTask<(string Tenant, SessionState State, long LastEventId)> FindEventSourceAsync(string? sessionId)
    {
        var tenant = Tenant(ApiScopes.Read);
        if (string.IsNullOrEmpty(sessionId))
        {
            throw new HubException(SessionNotFound);
        }

        if (pool.Find(tenant, sessionId) is { } session)
        {
            var info = session.Info;
            return (tenant, info.State, info.LastEventId);
        }

        return remote is not null && await remote.FollowAsync(tenant, sessionId, Context.ConnectionAborted) is { } elsewhere
            ? (tenant, elsewhere.State, elsewhere.LastEventId)
            : throw new HubException(SessionNotFound);
    }

    /// <summary>The caller's tenant, once its key is known to have <paramref name="scope"/>.</summary>
    private string Tenant(ApiScopes scope)
    {
        // [Authorize] guarantees an ApiKey principal; a principal without a tenant is a wiring bug, not a client error.
        if (!Context.User.TryGetTenant(out var tenant))
        {
            throw new InvalidOperationException($"The hub connection is not authenticated with the {ApiKeyDefaults.Scheme} scheme, so it has no tenant.");
        }

        // Before the lookup, so a key without the scope learns nothing about which sessions exist.
        if (!Context.User.HasScope(scope))
        {
            throw new HubException($"{ProblemCodes.Forbidden}: this API key lacks the '{ApiScopeNames.NameOf(scope)}' scope");
        }

        return tenant;
    }

    private static T Required<T>(T? request)
        where T : class =>
        request ?? throw new HubException($"{ProblemCodes.ValidationFailed}: the request object is required");

    private static HubException Invalid(Dictionary<string, string[]> errors) =>
        new($"{ProblemCodes.ValidationFailed}: " + string.Join("; ", errors.Select(e => $"{e.Key} {string.Join(", ", e.Value)}")));
}
