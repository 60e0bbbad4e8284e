using System.Globalization;
using Gateway.Tests.Api.Hubs;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;

namespace Gateway.Tests.Api.Events;

/// <summary>The event stream end to end: real Kestrel socket, real pool and event log, Prosody, a plain HttpClient.</summary>
[Trait("Tier", "Api")]
public sealed class EventStreamEndToEndTests(ProsodyFixture prosody) : HubEndToEndTest(prosody)
{
    /// <summary>Reads events until a message with this stanza id; returns it.</summary>
    private static async Task<SseItem> MessageAsync(SseTestClient stream, string id)
    {
        while (true)
        {
            var e = await stream.NextEventAsync();
            if (e.Event == "message" && e.Json.GetProperty("data").GetProperty("id").GetString() == id)
            {
                return e;
            }
        }
    }

    private static List<string> MessageIds(SseTestClient stream) =>
        [.. stream.Seen.Where(i => i.Event == "message").Select(i => i.Json.GetProperty("data").GetProperty("id").GetString()!)];

    [Fact]
    public async Task Stream_XmppMessagesAcrossADrop_ResumesWithLastEventIdExactlyOnce()
    {
        var (session, _) = await CreateSessionWithAccountAsync("sse");
        await using var bob = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("bob", Token));
        var to = Jid.Parse(session.BoundJid!);
        Task SendAsync(string id) => bob.SendAsync(new Message { To = to, Type = MessageType.Chat, Body = id, Id = id }, Token);
        using var client = App.CreateClient(GatewayApiFactory.AlphaKey);
        var url = $"/api/v1/sessions/{session.Id}/events";

        // From now on: everything after the session's current last event, so nothing sent below is missed.
        var (_, witness) = await SseTestClient.OpenAsync(client, url);
        await using var witnessStream = witness!;
        var (_, first) = await SseTestClient.OpenAsync(client, url);
        await using var firstStream = first!;
        await SendAsync("a-1");
        await SendAsync("a-2");
        await MessageAsync(firstStream, "a-1");
        var lastSeen = (await MessageAsync(firstStream, "a-2")).EventId;

        // The client goes away; messages keep arriving (the witness proves they are in the log).
        await firstStream.DisposeAsync();
        await SendAsync("b-1");
        await SendAsync("b-2");
        await MessageAsync(witnessStream, "b-2");

        var (_, second) = await SseTestClient.OpenAsync(client, url, lastSeen.ToString(CultureInfo.InvariantCulture));
        await using var secondStream = second!;
        await MessageAsync(secondStream, "b-2");
        await SendAsync("c-1");
        await MessageAsync(secondStream, "c-1");
        await MessageAsync(witnessStream, "c-1");

        Assert.Equal(["b-1", "b-2", "c-1"], MessageIds(secondStream));
        var ids = secondStream.Seen.Where(i => i.Id is not null).Select(i => i.EventId).ToList();
        Assert.Equal(Enumerable.Range(0, ids.Count).Select(i => lastSeen + 1 + i), ids);
        // The same events, with the same ids, as a client that never left.
        Assert.Equal(ids, witnessStream.Seen.Where(i => i.Id is not null).Select(i => i.EventId).SkipWhile(id => id <= lastSeen).Take(ids.Count));
    }
}
