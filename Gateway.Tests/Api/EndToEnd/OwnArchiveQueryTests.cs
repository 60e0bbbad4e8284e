using System.Xml.Linq;
using Gateway.Api.Contracts;
using Gateway.Api.Hubs;
using Gateway.Tests.Api.Hubs;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Api.EndToEnd;

/// <summary>An application's own MAM query through <c>POST /iq</c>: its results reach it as message events.</summary>
[Trait("Tier", "Api")]
public sealed class OwnArchiveQueryTests(ProsodyFixture prosody) : HubEndToEndTest(prosody)
{
    [Fact]
    [Trait("Spec", "XEP-0313 §4.2")]
    public async Task SendIq_MamQueryOfOwnArchive_ResultsArriveAsMessageEvents()
    {
        var (session, alice) = await CreateSessionWithAccountAsync("arch");
        await using var bob = await TestClients.ConnectOnlineAsync(Prosody.Server, await Prosody.CreateAccountAsync("bob", Token));
        var (connection, events) = await ConnectAsync();
        await connection.InvokeAsync<SubscriptionDto>("Subscribe", session.Id, Token);
        string[] sent = ["q-1", "q-2", "q-3"];
        foreach (var id in sent)
        {
            await bob.SendAsync(new Message { To = Jid.Parse(alice.Bare), Type = MessageType.Chat, Body = id, Id = id }, Token);
        }

        foreach (var id in sent)
        {
            await events.NextAsync<MessageDto>(m => m.Data.Id == id);
        }

        using var client = App.CreateAlphaClient();
        var response = await client.PostJsonAsync($"/api/v1/sessions/{session.Id}/iq", new PostIqRequest
        {
            Type = "set", To = alice.Bare,
            Payload = $"<query xmlns='urn:xmpp:mam:2' queryid='app-1'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field><field var='with'><value>{bob.Jid.Bare}</value></field></x></query>",
        });

        var fin = await response.ReadAsync<IqDto>(200);
        Assert.Contains("fin", fin.Payload, StringComparison.Ordinal);
        var bodies = new List<string>();
        foreach (var _ in sent)
        {
            var result = await events.NextAsync<MessageDto>(m => m.Data.Payloads.Any(p => p.Contains("queryid=\"app-1\"", StringComparison.Ordinal)));
            Assert.True(result.Data.From is null || result.Data.From == alice.Bare, result.Data.From);
            var forwarded = XElement.Parse(Assert.Single(result.Data.Payloads));
            bodies.Add(forwarded.Descendants(XName.Get("body", "jabber:client")).Single().Value);
        }

        Assert.Equal(sent, bodies);
    }
}
