using System.Threading.Channels;
using Gateway.Api.Contracts;
using Gateway.Tests.Integration.Prosody;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Api.Hubs;

/// <summary>Connects .NET SignalR clients to a gateway under test and creates real sessions for them.</summary>
internal static class HubTestKit
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>
    /// A hub connection that authenticates like a browser: the API key as the <c>access_token</c> query parameter
    /// (or, with <paramref name="viaHeader"/>, as the X-Api-Key header). Not started.
    /// </summary>
    public static HubConnection Build(GatewayApiFactory app, string? apiKey, bool viaHeader = false)
    {
        var url = new Uri(app.ServerAddress, "hubs/xmpp" + (apiKey is null || viaHeader ? "" : $"?access_token={Uri.EscapeDataString(apiKey)}"));
        return new HubConnectionBuilder()
            .WithUrl(url, options =>
            {
                if (viaHeader && apiKey is not null)
                {
                    options.Headers["X-Api-Key"] = apiKey;
                }
            })
            .WithStatefulReconnect()
            .Build();
    }

    /// <summary>A started connection of the alpha tenant, recording every event it receives.</summary>
    public static async Task<(HubConnection Connection, EventRecorder Events)> ConnectAsync(GatewayApiFactory app, string apiKey = GatewayApiFactory.AlphaKey)
    {
        var connection = Build(app, apiKey);
        var events = new EventRecorder(connection);
        await connection.StartAsync(Token);
        return (connection, events);
    }

    /// <summary>Creates a session for <paramref name="account"/> through REST as the alpha tenant (or <paramref name="apiKey"/>'s).</summary>
    public static async Task<SessionDto> CreateSessionAsync(GatewayApiFactory app, ProsodyServer prosody, TestAccount account, string id, string apiKey = GatewayApiFactory.AlphaKey, string? resource = null)
    {
        using var client = app.CreateClient(apiKey);
        var response = await client.PostJsonAsync("/api/v1/sessions", new CreateSessionRequest
        {
            Id = id, Jid = account.Bare, Password = account.Password, Resource = resource, Host = prosody.Host, Port = prosody.C2sPort,
        });
        var session = await response.ReadAsync<SessionDto>(201);
        Assert.Equal("online", session.State);
        return session;
    }
}

/// <summary>Records every event a hub connection receives, in arrival order, for tests to wait on in any order.</summary>
public sealed class EventRecorder
{
    private readonly Channel<object> _events = Channel.CreateUnbounded<object>();
    private readonly List<object> _backlog = [];
    private readonly List<long> _eventIds = [];

    public EventRecorder(HubConnection connection)
    {
        connection.On<EventEnvelope<MessageDto>>("OnMessage", e => Write(e, e.EventId));
        connection.On<EventEnvelope<PresenceDto>>("OnPresence", e => Write(e, e.EventId));
        connection.On<EventEnvelope<RosterItemDto>>("OnRosterPush", e => Write(e, e.EventId));
        connection.On<EventEnvelope<IqRequestDto>>("OnIqRequest", e => Write(e, e.EventId));
        connection.On<EventEnvelope<SessionStateDto>>("OnSessionState", e => Write(e, e.EventId));
        connection.On<EventEnvelope<MessageStatusDto>>("OnMessageStatus", e => Write(e, e.EventId));
        connection.On<EventEnvelope<BlocklistPushDto>>("OnBlocklistPush", e => Write(e, e.EventId));
        connection.On<EventEnvelope<MessageDto>>("OnRoomMessage", e => Write(e, e.EventId));
        connection.On<EventEnvelope<RoomOccupantEventDto>>("OnRoomOccupant", e => Write(e, e.EventId));
        connection.On<EventEnvelope<RoomSubjectDto>>("OnRoomSubject", e => Write(e, e.EventId));
        connection.On<EventEnvelope<RoomStateDto>>("OnRoomState", e => Write(e, e.EventId));
    }

    /// <summary>The event id of every event received, of any kind, in arrival order.</summary>
    public IReadOnlyList<long> EventIds
    {
        get
        {
            lock (_eventIds)
            {
                return [.. _eventIds];
            }
        }
    }

    private void Write(object e, long eventId)
    {
        lock (_eventIds)
        {
            _eventIds.Add(eventId);
        }

        _events.Writer.TryWrite(e);
    }

    /// <summary>Whether a matching event arrived and was not taken by <see cref="NextAsync"/> (events arrive in order per connection).</summary>
    public bool Received<T>(Func<EventEnvelope<T>, bool> match)
    {
        while (_events.Reader.TryRead(out var e))
        {
            _backlog.Add(e);
        }

        return _backlog.Exists(e => e is EventEnvelope<T> typed && match(typed));
    }

    /// <summary>The first event of this type that matches; others stay for later calls. Fails after <see cref="HubTestKit.Patience"/>.</summary>
    public async Task<EventEnvelope<T>> NextAsync<T>(Func<EventEnvelope<T>, bool>? match = null)
    {
        bool Matches(object e) => e is EventEnvelope<T> typed && (match is null || match(typed));
        var index = _backlog.FindIndex(Matches);
        if (index >= 0)
        {
            var found = _backlog[index];
            _backlog.RemoveAt(index);
            return (EventEnvelope<T>)found;
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(HubTestKit.Patience);
        try
        {
            await foreach (var e in _events.Reader.ReadAllAsync(cts.Token))
            {
                if (Matches(e))
                {
                    return (EventEnvelope<T>)e;
                }

                _backlog.Add(e);
            }
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
        }

        throw new TimeoutException($"No matching {typeof(T).Name} event within {HubTestKit.Patience.TotalSeconds} s; got instead: {string.Join(", ", _backlog)}");
    }
}
