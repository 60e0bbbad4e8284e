using Gateway.Api.Contracts;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Tests.Support;
using Gateway.Xmpp;

namespace Gateway.Tests.Api.Webhooks;

/// <summary>Webhooks with the real pool against a real Prosody: what an XMPP contact sends arrives at the receiver, signed.</summary>
[Trait("Tier", "Integration")]
public sealed class WebhookProsodyEndToEndTests(ProsodyFixture prosody)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task MessageToSession_ArrivesAtTheReceiverSignedWithTheHubEnvelope()
    {
        var (alice, bob) = (await prosody.CreateAccountAsync("alice", Token), await prosody.CreateAccountAsync("bob", Token));
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var app = new GatewayApiFactory(prosody);
        app.Settings["Gateway:Webhooks:AllowHttp"] = "true";
        app.Settings["Gateway:Webhooks:AllowPrivateAddresses"] = "true";
        using var client = app.CreateAlphaClient();
        var webhook = await WebhookTestKit.CreateWebhookAsync(client, receiver.Url("/xmpp"), events: ["message"]);
        receiver.Secrets = [webhook.Secret];
        await Gateway.Tests.Api.Hubs.HubTestKit.CreateSessionAsync(app, prosody.Server, alice, "alice", resource: "gateway");
        await using var b = await TestClients.ConnectOnlineAsync(prosody.Server, bob);

        await b.SendAsync(new Message { To = Jid.Parse($"{alice.Bare}/gateway"), Type = MessageType.Chat, Body = "Hello from XMPP", Id = "hello-1" }, Token);

        await Eventually.WaitUntilAsync(() => receiver.Received.Any(r => r.Body.Contains("Hello from XMPP", StringComparison.Ordinal)), TimeSpan.FromSeconds(20));
        var got = receiver.Snapshot().Single(r => r.Body.Contains("Hello from XMPP", StringComparison.Ordinal));
        Assert.True(got.Verified, got.VerifyError);
        Assert.Equal("/xmpp", got.Path);
        var data = got.Json.GetProperty("data");
        Assert.Equal(("alice", "message"), (got.SessionId, data.GetProperty("kind").GetString()));
        Assert.Equal($"evt_alice_{got.EventId}", got.Id);
        Assert.StartsWith(bob.Bare, data.GetProperty("data").GetProperty("from").GetString(), StringComparison.Ordinal);
        Assert.All(receiver.Snapshot(), r => Assert.Equal("message", r.Type));
        app.Logs.AssertNoErrors();
    }
}
