using Gateway.Api.Contracts;
using Gateway.Api.Hubs;
using Gateway.Tests.Api.Hubs;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Api.EndToEnd;

/// <summary>Replay through the hub (<c>SubscribeAfter</c>): real Kestrel, SignalR client, pool, event log and Prosody.</summary>
[Trait("Tier", "Api")]
public sealed class ReplayTests(ProsodyFixture prosody) : HubEndToEndTest(prosody)
{
    private async Task<SessionDto> CreateSessionAsync() => (await CreateSessionWithAccountAsync("replay")).Session;

    /// <summary>Every event the recorder has, messages by id, checking each message id arrived once and event ids strictly increase.</summary>
    private static async Task<List<EventEnvelope<MessageDto>>> MessagesAsync(EventRecorder events, IReadOnlyList<string> ids)
    {
        var got = new List<EventEnvelope<MessageDto>>();
        foreach (var id in ids)
        {
            got.Add(await events.NextAsync<MessageDto>(m => m.Data.Id == id));
        }

        return got;
    }

    [Fact]
    public async Task SubscribeAfter_Zero_AfterEventsHappened_ReplaysAllInOrderOnceThenLive()
    {
        var session = await CreateSessionAsync();
        await using var bob = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("bob", Token));
        var (witness, witnessEvents) = await ConnectAsync();
        await witness.InvokeAsync<SubscriptionDto>("Subscribe", session.Id, Token);
        string[] before = ["r-1", "r-2", "r-3", "r-4"];
        foreach (var id in before)
        {
            await bob.SendAsync(new Message { To = Jid.Parse(session.BoundJid!), Type = MessageType.Chat, Body = id, Id = id }, Token);
        }

        // Once the witness has them all, they are in the log.
        await MessagesAsync(witnessEvents, before);
        var (connection, events) = await ConnectAsync();

        var subscription = await connection.InvokeAsync<SubscriptionDto>("SubscribeAfter", session.Id, 0L, Token);
        string[] after = ["l-1", "l-2"];
        foreach (var id in after)
        {
            await bob.SendAsync(new Message { To = Jid.Parse(session.BoundJid!), Type = MessageType.Chat, Body = id, Id = id }, Token);
        }

        var messages = await MessagesAsync(events, [.. before, .. after]);
        Assert.Equal(0, subscription.LastEventId);
        Assert.Equal([.. before, .. after], messages.Select(m => m.Data.Id));
        await witnessEvents.NextAsync<MessageDto>(m => m.Data.Id == "l-2");
        await Task.Delay(300, Token);
        var ids = events.EventIds;

        // Everything the session journaled, from event 1, each once, in order.
        Assert.Equal(Enumerable.Range(1, ids.Count).Select(i => (long)i), ids);
        Assert.False(events.Received<MessageDto>(m => m.Data.Id == "r-1"), "r-1 arrived twice");
    }

    [Fact]
    public async Task Subscriber_ReconnectsWithLastEventId_MissesNothing()
    {
        var session = await CreateSessionAsync();
        await using var bob = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("bob", Token));
        var to = Jid.Parse(session.BoundJid!);
        var (witness, witnessEvents) = await ConnectAsync();
        await witness.InvokeAsync<SubscriptionDto>("Subscribe", session.Id, Token);

        var (first, firstEvents) = await ConnectAsync();
        await first.InvokeAsync<SubscriptionDto>("Subscribe", session.Id, Token);
        await bob.SendAsync(new Message { To = to, Type = MessageType.Chat, Body = "a", Id = "a-1" }, Token);
        await bob.SendAsync(new Message { To = to, Type = MessageType.Chat, Body = "a", Id = "a-2" }, Token);
        await firstEvents.NextAsync<MessageDto>(m => m.Data.Id == "a-1");
        var lastSeen = (await firstEvents.NextAsync<MessageDto>(m => m.Data.Id == "a-2")).EventId;

        // The subscriber goes away; messages keep arriving.
        await first.StopAsync(Token);
        string[] missed = ["b-1", "b-2", "b-3"];
        foreach (var id in missed)
        {
            await bob.SendAsync(new Message { To = to, Type = MessageType.Chat, Body = id, Id = id }, Token);
        }

        await witnessEvents.NextAsync<MessageDto>(m => m.Data.Id == "b-3");

        // It comes back with the last event id it saw, while more arrive.
        var (second, secondEvents) = await ConnectAsync();
        var sending = Task.Run(async () =>
        {
            foreach (var id in new[] { "c-1", "c-2", "c-3" })
            {
                await bob.SendAsync(new Message { To = to, Type = MessageType.Chat, Body = id, Id = id }, Token);
            }
        }, Token);
        await second.InvokeAsync<SubscriptionDto>("SubscribeAfter", session.Id, lastSeen, Token);
        await sending;

        var got = await MessagesAsync(secondEvents, ["b-1", "b-2", "b-3", "c-1", "c-2", "c-3"]);
        Assert.Equal(["b-1", "b-2", "b-3", "c-1", "c-2", "c-3"], got.Select(m => m.Data.Id));
        await witnessEvents.NextAsync<MessageDto>(m => m.Data.Id == "c-3");
        await Task.Delay(300, Token);
        var ids = secondEvents.EventIds;
        Assert.Equal(Enumerable.Range((int)lastSeen + 1, ids.Count).Select(i => (long)i), ids);

        Assert.False(secondEvents.Received<MessageDto>(m => m.Data.Id is "a-1" or "a-2"), "an event before the resume point arrived");
    }
}
