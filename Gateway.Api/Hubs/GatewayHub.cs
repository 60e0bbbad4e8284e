using Gateway.Api.Auth;
using Gateway.Api.Contracts;
using Gateway.Api.Errors;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace Gateway.Api.Hubs;

/// <summary>
/// The real-time face of the gateway at <c>/hubs/xmpp</c>: subscribe to sessions' events and send through them,
/// with the same semantics as the REST API. Stateless: subscriptions are SignalR groups, everything else lives in
/// the pool. Every session id is looked up within the caller's tenant; a foreign session looks exactly like an
/// unknown one.
/// </summary>
[Authorize]
public sealed class GatewayHub(ISessionPool pool, ILogger<GatewayHub> logger) : Hub<IGatewayClient>
{
    /// <summary>The path the hub is mapped at.</summary>
    public const string Path = "/hubs/xmpp";

    internal const string SessionNotFound = $"{ProblemCodes.SessionNotFound}: Session not found";

    /// <summary>Delivers the session's events to this connection from now on; see <see cref="SubscriptionDto.LastEventId"/>.</summary>
    public async Task<SubscriptionDto> Subscribe(string sessionId)
    {
        var (tenant, session) = FindSession(sessionId);
        await Groups.AddToGroupAsync(Context.ConnectionId, HubGroups.Session(tenant, sessionId), Context.ConnectionAborted);

        // Read after joining: any event published from here on has a greater id and reaches this connection.
        var info = session.Info;
        HubLog.Subscribed(logger, Context.ConnectionId, tenant, sessionId);
        return new SubscriptionDto(sessionId, EventMapper.StateName(info.State), info.LastEventId);
    }

    /// <summary>Stops delivering the session's events to this connection.</summary>
    public async Task Unsubscribe(string sessionId)
    {
        var (tenant, _) = FindSession(sessionId);
        await Groups.RemoveFromGroupAsync(Context.ConnectionId, HubGroups.Session(tenant, sessionId), Context.ConnectionAborted);
        HubLog.Unsubscribed(logger, Context.ConnectionId, tenant, sessionId);
    }

    /// <summary>Sends a message through the session.</summary>
    public async Task<StanzaAcceptedDto> SendMessage(string sessionId, SendMessageRequest request)
    {
        var (_, session) = FindSession(sessionId);
        if (!HubRequests.TryCreate(Required(request), out var message, out var wait, out var errors))
        {
            throw Invalid(errors);
        }

        var receipt = await session.EnqueueAsync(message, wait, request.IdempotencyKey, Context.ConnectionAborted);
        return new StanzaAcceptedDto(receipt.StanzaId, receipt.AckedByServer);
    }

    /// <summary>Sends a presence through the session.</summary>
    public async Task<StanzaAcceptedDto> SendPresence(string sessionId, SendPresenceRequest request)
    {
        var (_, session) = FindSession(sessionId);
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
        var (_, session) = FindSession(sessionId);
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
        var (_, session) = FindSession(sessionId);
        if (!HubRequests.TryCreate(Required(request), out var answer, out var errors))
        {
            throw Invalid(errors);
        }

        return await session.AnswerIqAsync(answer, Context.ConnectionAborted);
    }

    private (string Tenant, IManagedSession Session) FindSession(string? sessionId)
    {
        // [Authorize] guarantees an ApiKey principal; a principal without a tenant is a wiring bug, not a client error.
        if (!Context.User.TryGetTenant(out var tenant))
        {
            throw new InvalidOperationException($"The hub connection is not authenticated with the {ApiKeyDefaults.Scheme} scheme, so it has no tenant.");
        }

        // One answer for unknown and foreign sessions, so ids of other tenants cannot be probed.
        return !string.IsNullOrEmpty(sessionId) && pool.Find(tenant, sessionId) is { } session
            ? (tenant, session)
            : throw new HubException(SessionNotFound);
    }

    private static T Required<T>(T? request)
        where T : class =>
        request ?? throw new HubException($"{ProblemCodes.ValidationFailed}: the request object is required");

    private static HubException Invalid(Dictionary<string, string[]> errors) =>
        new($"{ProblemCodes.ValidationFailed}: " + string.Join("; ", errors.Select(e => $"{e.Key} {string.Join(", ", e.Value)}")));
}
