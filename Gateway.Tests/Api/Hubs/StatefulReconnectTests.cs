using System.Net;
using Gateway.Api.Contracts;
using Gateway.Api.Hubs;
using Gateway.Tests.Fakes;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Api.Hubs;

/// <summary>
/// A hub client whose WebSocket is cut: with stateful reconnect the same connection comes back on its own and gets what
/// the server sent meanwhile; without it (or when its one reconnect attempt fails) the connection closes and
/// <c>SubscribeAfter</c> with the last event id recovers the gap. Real Kestrel, pool and Prosody; a
/// <see cref="FaultProxy"/> between the SignalR client and Kestrel plays the network.
/// </summary>
[Trait("Tier", "Api")]
public sealed class StatefulReconnectTests(ProsodyFixture prosody) : IAsyncLifetime
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private readonly GatewayApiFactory _app = new GatewayApiFactory(prosody.Server).UseRealSocket();
    private readonly List<HubConnection> _connections = [];
    private readonly List<XmppClient> _peers = [];
    private FaultProxy? _proxy;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }

        foreach (var peer in _peers)
        {
            await peer.DisposeAsync();
        }

        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }

        await _app.DisposeAsync();
        _app.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task TransportCut_WithStatefulReconnect_SameConnectionResumesAndGetsEverySentEventOnceInOrder()
    {
        var (session, bob, witness) = await ArrangeAsync();
        var proxy = StartProxy();
        var (connection, events, closed) = await ConnectViaProxyAsync(proxy, statefulReconnect: true);
        var connectionId = connection.ConnectionId;
        await connection.InvokeAsync<SubscriptionDto>("Subscribe", session.Id, Token);
        await SendAsync(bob, session, "a-1");
        await events.NextAsync<MessageDto>(m => m.Data.Id == "a-1");

        // Lost in flight: the proxy stops forwarding, so what the hub writes now sits in the proxy and the kernel's
        // buffers. The witness getting b-3 means b-1..b-3 were queued for this connection too (the dispatcher queues
        // an event for every subscriber before it takes the next one) and its pump writes them at once; then the cut
        // throws all of it away. (A write its pump has not made yet by then waits in the stateful-reconnect buffer
        // and arrives just the same.)
        proxy.Stall(true);
        await SendAsync(bob, session, "b-1", "b-2", "b-3");
        await witness.NextAsync<MessageDto>(m => m.Data.Id == "b-3");
        Assert.False(events.Received<MessageDto>(m => m.Data.Id?.StartsWith("b-", StringComparison.Ordinal) == true), "the stalled proxy let a message through");
        var acceptedBeforeCut = proxy.ConnectionsAccepted;
        Assert.True(await proxy.CutAllAsync(Token) >= 1);

        // The client's transport reconnects at once, by itself, reusing the connection token; the proxy is still
        // stalled, so that attempt hangs while the hub sends to a connection whose transport is down.
        var retried = proxy.WaitUntilAsync(p => p.ConnectionsAccepted > acceptedBeforeCut, HubTestKit.Patience, Token);
        Assert.True(await UnlessClosedAsync(retried, closed.Task), "the client did not try to reconnect");
        await SendAsync(bob, session, "c-1", "c-2");
        await witness.NextAsync<MessageDto>(m => m.Data.Id == "c-2");
        Assert.False(closed.Task.IsCompleted, "the connection closed instead of reconnecting");

        // The network is back: the server re-attaches the new WebSocket to the same connection and replays what the
        // client has not acknowledged; the client drops what it already had. No new Subscribe/SubscribeAfter.
        proxy.Stall(false);
        string[] missed = ["b-1", "b-2", "b-3", "c-1", "c-2"];
        var resumed = await UnlessClosedAsync(MessagesAsync(events, missed), closed.Task);
        await SendAsync(bob, session, "d-1");
        var live = await UnlessClosedAsync(events.NextAsync<MessageDto>(m => m.Data.Id == "d-1"), closed.Task);

        Assert.Equal(missed, resumed.Select(m => m.Data.Id));
        Assert.Equal(connectionId, connection.ConnectionId);
        Assert.Equal(HubConnectionState.Connected, connection.State);
        Assert.False(closed.Task.IsCompleted);

        // d-1 came live after the replay on the same ordered stream, so a duplicate would already be here: every event
        // of the session since Subscribe, each once, ids without a gap.
        var ids = events.EventIds;
        Assert.Equal(live.EventId, ids[^1]);
        Assert.Equal(Enumerable.Range(0, ids.Count).Select(i => ids[0] + i), ids);
        Assert.False(events.Received<MessageDto>(m => m.Data.Id is "a-1" or "b-1" or "c-1"), "a message arrived twice");
    }

    /// <summary>
    /// The documented fallback. Without stateful reconnect a cut closes the connection; with it, the client makes one
    /// immediate reconnect attempt and closes when that fails (here the proxy refuses it). Either way the subscription is
    /// gone with the connection, and a new connection resumes with <c>SubscribeAfter</c>.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TransportCut_ConnectionCloses_SubscribeAfterLastEventIdRecoversTheGap(bool statefulReconnectRefused)
    {
        var (session, bob, witness) = await ArrangeAsync();
        var proxy = StartProxy();
        var (first, firstEvents, closed) = await ConnectViaProxyAsync(proxy, statefulReconnect: statefulReconnectRefused);
        var firstId = first.ConnectionId;
        await first.InvokeAsync<SubscriptionDto>("Subscribe", session.Id, Token);
        await SendAsync(bob, session, "a-1");
        var lastSeen = (await firstEvents.NextAsync<MessageDto>(m => m.Data.Id == "a-1")).EventId;

        proxy.RefuseNew = statefulReconnectRefused;
        Assert.True(await proxy.CutAllAsync(Token) >= 1);
        var error = await closed.Task.WaitAsync(HubTestKit.Patience, Token);
        Assert.Equal(HubConnectionState.Disconnected, first.State);
        if (statefulReconnectRefused)
        {
            // It did try, once, and gave up (the refusal is counted before the client sees the reset). No exception is
            // asserted: SignalR.Client 10.0 raises Closed with none here (the transport completes its pipe cleanly
            // after the failed attempt), so a client cannot tell this from a clean close and resumes with SubscribeAfter either way.
            Assert.Equal(1, proxy.ConnectionsRefused);
        }
        else
        {
            Assert.NotNull(error);
        }

        proxy.RefuseNew = false;

        await SendAsync(bob, session, "b-1", "b-2");
        await witness.NextAsync<MessageDto>(m => m.Data.Id == "b-2");
        var (second, secondEvents, _) = await ConnectViaProxyAsync(proxy, statefulReconnect: statefulReconnectRefused);
        await second.InvokeAsync<SubscriptionDto>("SubscribeAfter", session.Id, lastSeen, Token);
        await SendAsync(bob, session, "c-1");

        var got = await MessagesAsync(secondEvents, ["b-1", "b-2", "c-1"]);
        Assert.Equal(["b-1", "b-2", "c-1"], got.Select(m => m.Data.Id));
        Assert.NotEqual(firstId, second.ConnectionId);
        var ids = secondEvents.EventIds;
        Assert.Equal(Enumerable.Range(1, ids.Count).Select(i => lastSeen + i), ids);
        Assert.False(firstEvents.Received<MessageDto>(m => m.Data.Id?.StartsWith("b-", StringComparison.Ordinal) == true), "the closed connection still got events");
    }

    /// <summary>A session with bob online to message it, and a witness subscribed straight to Kestrel (no proxy) that shows what the hub has sent.</summary>
    private async Task<(SessionDto Session, XmppClient Bob, EventRecorder Witness)> ArrangeAsync()
    {
        var account = await prosody.CreateAccountAsync("stateful", Token);
        var session = await HubTestKit.CreateSessionAsync(_app, prosody.Server, account, "s-" + account.User);
        var bob = await TestClients.ConnectOnlineAsync(prosody.Server, await prosody.CreateAccountAsync("bob", Token));
        _peers.Add(bob);
        var (witness, witnessEvents) = await HubTestKit.ConnectAsync(_app);
        _connections.Add(witness);
        await witness.InvokeAsync<SubscriptionDto>("Subscribe", session.Id, Token);
        return (session, bob, witnessEvents);
    }

    private FaultProxy StartProxy()
    {
        _proxy = FaultProxy.Start(new IPEndPoint(IPAddress.Loopback, _app.ServerAddress.Port));
        return _proxy;
    }

    /// <summary>
    /// Like <see cref="HubTestKit.Build"/> (API key as access_token) but through <paramref name="proxy"/>, and with
    /// stateful reconnect only when asked. No automatic reconnect: a closed connection must show as
    /// <c>Closed</c>, not be papered over by a new one.
    /// </summary>
    private async Task<(HubConnection Connection, EventRecorder Events, TaskCompletionSource<Exception?> Closed)> ConnectViaProxyAsync(FaultProxy proxy, bool statefulReconnect)
    {
        var url = new Uri($"http://127.0.0.1:{proxy.Port}/hubs/xmpp?access_token={Uri.EscapeDataString(GatewayApiFactory.AlphaKey)}");
        var builder = new HubConnectionBuilder().WithUrl(url);
        if (statefulReconnect)
        {
            builder.WithStatefulReconnect();
        }

        var connection = builder.Build();
        _connections.Add(connection);
        var events = new EventRecorder(connection);
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Closed += error =>
        {
            closed.TrySetResult(error);
            return Task.CompletedTask;
        };
        await connection.StartAsync(Token);
        return (connection, events, closed);
    }

    private static async Task SendAsync(XmppClient bob, SessionDto session, params string[] ids)
    {
        foreach (var id in ids)
        {
            await bob.SendAsync(new Message { To = Jid.Parse(session.BoundJid!), Type = MessageType.Chat, Body = id, Id = id }, Token);
        }
    }

    /// <summary>The messages with these ids, in the order given; each fails after <see cref="HubTestKit.Patience"/>.</summary>
    private static async Task<List<EventEnvelope<MessageDto>>> MessagesAsync(EventRecorder events, IReadOnlyList<string> ids)
    {
        var got = new List<EventEnvelope<MessageDto>>();
        foreach (var id in ids)
        {
            got.Add(await events.NextAsync<MessageDto>(m => m.Data.Id == id));
        }

        return got;
    }

    /// <summary>Fails at once, with the reason, if the connection closes before <paramref name="work"/> completes, rather than waiting out the patience.</summary>
    private static async Task<T> UnlessClosedAsync<T>(Task<T> work, Task<Exception?> closed)
    {
        if (await Task.WhenAny(work, closed) == closed)
        {
            Assert.Fail($"The connection closed instead of resuming: {await closed}");
        }

        return await work;
    }
}
