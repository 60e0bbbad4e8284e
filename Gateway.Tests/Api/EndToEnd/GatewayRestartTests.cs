using Gateway.Api.Contracts;
using Gateway.Api.Hubs;
using Gateway.Tests.Api.Hubs;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Api.EndToEnd;

/// <summary>
/// The gateway process restarts while messages keep arriving: the second gateway, on the same SQLite store,
/// restores the session and its event numbering, catches up from the server's archive on what arrived while no
/// gateway was running, and a subscriber that returns with its last event id gets all of it, once, in order.
/// </summary>
[Trait("Tier", "Api")]
public sealed class GatewayRestartTests(ProsodyFixture prosody) : IAsyncDisposable
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private readonly string _storage = GatewayApiFactory.NewStorageDirectory();
    private readonly List<IAsyncDisposable> _disposables = [];

    public async ValueTask DisposeAsync()
    {
        for (var i = _disposables.Count - 1; i >= 0; i--)
        {
            await _disposables[i].DisposeAsync();
        }

        try
        {
            Directory.Delete(_storage, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private GatewayApiFactory StartGateway()
    {
        var app = new GatewayApiFactory(prosody.Server) { StorageDirectory = _storage, KeepStorage = true }.UseRealSocket();
        _disposables.Add(app);
        return app;
    }

    private async Task<(HubConnection Connection, EventRecorder Events)> ConnectAsync(GatewayApiFactory app)
    {
        var (connection, events) = await HubTestKit.ConnectAsync(app);
        _disposables.Add(connection);
        return (connection, events);
    }

    [Fact]
    public async Task RestartMidStream_SubscriberWithLastEventId_GetsEverythingOnceInOrder()
    {
        const int Total = 40;
        var ids = Enumerable.Range(1, Total).Select(i => $"m-{i}").ToArray();
        var account = await prosody.CreateAccountAsync("restart", Token);
        await using var bob = await TestClients.ConnectOnlineAsync(prosody.Server, await prosody.CreateAccountAsync("bob", Token));
        var to = Jid.Parse(account.Bare);
        Task SendAsync(string id) => bob.SendAsync(new Message { To = to, Type = MessageType.Chat, Body = id, Id = id }, Token);

        var first = StartGateway();
        var session = await HubTestKit.CreateSessionAsync(first, prosody.Server, account, "restarting");
        var (subscriber, events) = await ConnectAsync(first);
        await subscriber.InvokeAsync<SubscriptionDto>("Subscribe", session.Id, Token);
        foreach (var id in ids[..5])
        {
            await SendAsync(id);
        }

        var lastSeen = (await events.NextAsync<MessageDto>(m => m.Data.Id == "m-5")).EventId;
        await subscriber.StopAsync(Token);

        // Three stretches: while the first gateway runs (journaled there, replayed by the second), while no
        // gateway runs (only the server's archive has them), and while the second gateway restores the session.
        var (witness, witnessEvents) = await ConnectAsync(first);
        await witness.InvokeAsync<SubscriptionDto>("Subscribe", session.Id, Token);
        foreach (var id in ids[5..12])
        {
            await SendAsync(id);
        }

        await witnessEvents.NextAsync<MessageDto>(m => m.Data.Id == "m-12");
        await first.DisposeAsync();
        foreach (var id in ids[12..25])
        {
            await SendAsync(id);
        }

        var second = StartGateway();
        var stream = Task.Run(async () =>
        {
            foreach (var id in ids[25..])
            {
                await SendAsync(id);
                await Task.Delay(20, Token);
            }
        }, Token);
        using (var client = second.CreateAlphaClient())
        {
            var restored = await (await client.GetAsync(new Uri($"/api/v1/sessions/{session.Id}", UriKind.Relative), Token)).ReadAsync<SessionDto>(200);
            Assert.Equal(session.Jid, restored.Jid);
        }

        await stream;
        var (returning, returned) = await ConnectAsync(second);
        var subscription = await returning.InvokeAsync<SubscriptionDto>("SubscribeAfter", session.Id, lastSeen, Token);
        Assert.Equal(lastSeen, subscription.LastEventId);

        var got = new List<EventEnvelope<MessageDto>>();
        foreach (var id in ids[5..])
        {
            got.Add(await returned.NextAsync<MessageDto>(m => m.Data.Id == id));
        }

        // Stragglers (a repeat would come late) get a moment before "once" is asserted.
        await Task.Delay(500, Token);
        Assert.Equal(ids[5..], got.OrderBy(m => m.EventId).Select(m => m.Data.Id));
        Assert.False(returned.Received<MessageDto>(m => m.Data.Id is not null && ids.Contains(m.Data.Id)), "a message arrived twice, or one from before the resume point arrived");
        var eventIds = returned.EventIds;
        Assert.Equal(Enumerable.Range((int)lastSeen + 1, eventIds.Count).Select(i => (long)i), eventIds);
        Assert.Contains(second.Logs.Entries, e => e.EventId.Id == 4301); // the archive catch-up ran
        first.Logs.AssertNoErrors();
        second.Logs.AssertNoErrors();
    }
}
