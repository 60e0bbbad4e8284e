using System.Xml.Linq;
using Gateway.Tests.Integration.Prosody;
using Gateway.Tests.Support;
using Gateway.Xmpp;

namespace Gateway.Tests.Integration.Client;

[Trait("Tier", "Integration")]
public sealed class MessagingTests(ProsodyFixture prosody)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Spec", "RFC 6121 §5")]
    public async Task SendAsync_MessageWithUnknownPayload_ArrivesWithPayloadIntact()
    {
        var (alice, bob) = (await prosody.CreateAccountAsync("alice", Token), await prosody.CreateAccountAsync("bob", Token));
        await using var a = await TestClients.ConnectOnlineAsync(prosody.Server, alice);
        await using var b = await TestClients.ConnectOnlineAsync(prosody.Server, bob);
        var custom = XElement.Parse("<order xmlns='urn:example:shop' id='42'><item sku='x-1' qty='2'>Tea &amp; biscuits</item><p:note xmlns:p='urn:example:notes'>fragile</p:note></order>");
        var sent = new Message
        {
            To = b.Jid, Type = MessageType.Chat, Body = "héllo 😀 日本 <&>", Subject = "greeting", Thread = "t-1", Language = "en",
            Payload = [custom],
        };

        await a.SendAsync(sent with { Id = "m-1" }, Token);
        var received = await b.ReceiveAsync<Message>(m => m.Id == "m-1");

        Assert.Equal(a.Jid, received.From);
        Assert.Equal(MessageType.Chat, received.Type);
        Assert.Equal(sent.Body, received.Body);
        Assert.Equal("greeting", received.Subject);
        Assert.Equal("t-1", received.Thread);
        var payload = Assert.Single(received.Payload, p => p.Name.Namespace == "urn:example:shop");
        XmlAssert.Equivalent(custom, payload);
    }

    [Fact]
    [Trait("Spec", "RFC 6121 §8.5.2.1.1")]
    public async Task SendAsync_ToBareJid_DeliveredToOnlineResource()
    {
        var (alice, bob) = (await prosody.CreateAccountAsync("alice", Token), await prosody.CreateAccountAsync("bob", Token));
        await using var a = await TestClients.ConnectOnlineAsync(prosody.Server, alice);
        await using var b = await TestClients.ConnectOnlineAsync(prosody.Server, bob);

        await a.SendAsync(new Message { To = b.Jid.Bare, Type = MessageType.Chat, Body = "to bare", Id = "bare-1" }, Token);

        var received = await b.ReceiveAsync<Message>(m => m.Id == "bare-1");
        Assert.Equal("to bare", received.Body);
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §8.3")]
    public async Task SendAsync_ToUnknownUser_ReturnsErrorStanza()
    {
        var alice = await prosody.CreateAccountAsync("alice", Token);
        await using var a = await TestClients.ConnectOnlineAsync(prosody.Server, alice);

        await a.SendAsync(new Message { To = Jid.Parse($"nobody-{Guid.NewGuid():N}@{prosody.Server.Domain}"), Type = MessageType.Chat, Body = "anyone?", Id = "lost-1" }, Token);

        var bounce = await a.ReceiveAsync<Message>(m => m.Id == "lost-1");
        Assert.Equal(MessageType.Error, bounce.Type);
        Assert.Equal(StanzaErrorCondition.ServiceUnavailable, bounce.Error?.Condition);
    }

    [Fact]
    [Trait("Spec", "XEP-0092")]
    public async Task GetSoftwareVersionAsync_BetweenClients_AnswersConfiguredName()
    {
        var (alice, bob) = (await prosody.CreateAccountAsync("alice", Token), await prosody.CreateAccountAsync("bob", Token));
        await using var a = await TestClients.ConnectOnlineAsync(prosody.Server, alice);
        await using var b = await XmppClient.ConnectAsync(TestClients.Options(prosody.Server, bob) with { SoftwareName = "Bob's Gateway", SoftwareVersion = "9.8.7", RespondTo = RespondTo.Anyone }, cancellationToken: Token);

        var version = await a.GetSoftwareVersionAsync(b.Jid, Token);

        Assert.Equal("Bob's Gateway", version.Name);
        Assert.Equal("9.8.7", version.Version);
    }

    [Fact]
    [Trait("Spec", "XEP-0199")]
    public async Task PingAsync_BetweenClientsAndToServer_Answered()
    {
        var (alice, bob) = (await prosody.CreateAccountAsync("alice", Token), await prosody.CreateAccountAsync("bob", Token));
        await using var a = await TestClients.ConnectOnlineAsync(prosody.Server, alice);
        // Strangers: only a client that answers anyone tells alice it is there (PresenceLeakTests).
        await using var b = await XmppClient.ConnectAsync(TestClients.Options(prosody.Server, bob) with { RespondTo = RespondTo.Anyone }, cancellationToken: Token);

        var toClient = await a.PingAsync(b.Jid, cancellationToken: Token);
        var toServer = await a.PingAsync(Jid.Parse(prosody.Server.Domain), cancellationToken: Token);

        Assert.True(toClient > TimeSpan.Zero);
        Assert.True(toServer > TimeSpan.Zero);
    }

    [Fact]
    [Trait("Spec", "XEP-0030")]
    public async Task GetDiscoInfoAsync_BetweenClients_ListsBuiltInFeatures()
    {
        var (alice, bob) = (await prosody.CreateAccountAsync("alice", Token), await prosody.CreateAccountAsync("bob", Token));
        await using var a = await TestClients.ConnectOnlineAsync(prosody.Server, alice);
        await using var b = await XmppClient.ConnectAsync(TestClients.Options(prosody.Server, bob) with { RespondTo = RespondTo.Anyone }, cancellationToken: Token);

        var info = await a.GetDiscoInfoAsync(b.Jid, Token);

        Assert.Contains(info.Identities, i => i.Category == "client");
        Assert.True(info.Supports("urn:xmpp:ping"));
        Assert.True(info.Supports("jabber:iq:version"));
        Assert.True(info.Supports("http://jabber.org/protocol/disco#info"));
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §8.4")]
    public async Task SendIqAsync_UnknownPayloadToClient_AnsweredServiceUnavailable()
    {
        var (alice, bob) = (await prosody.CreateAccountAsync("alice", Token), await prosody.CreateAccountAsync("bob", Token));
        await using var a = await TestClients.ConnectOnlineAsync(prosody.Server, alice);
        await using var b = await TestClients.ConnectOnlineAsync(prosody.Server, bob);

        var ex = await Assert.ThrowsAsync<StanzaErrorException>(() => a.SendIqAsync(
            new Iq { Type = IqType.Get, To = b.Jid, Payload = [new XElement(XName.Get("query", "urn:example:unknown"))] }, cancellationToken: Token));

        Assert.Equal(StanzaErrorCondition.ServiceUnavailable, ex.Error.Condition);
        Assert.Equal(StanzaErrorType.Cancel, ex.Error.Type);
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §8.2.3")]
    public async Task SetIqHandler_CustomPayload_AnswersWithHandlerResultOrError()
    {
        var (alice, bob) = (await prosody.CreateAccountAsync("alice", Token), await prosody.CreateAccountAsync("bob", Token));
        await using var a = await TestClients.ConnectOnlineAsync(prosody.Server, alice);
        await using var b = await TestClients.ConnectOnlineAsync(prosody.Server, bob);
        var name = XName.Get("echo", "urn:example:echo");
        b.SetIqHandler(name, (request, _) => request.Query!.Value == "fail"
            ? throw new StanzaErrorException(StanzaError.Of(StanzaErrorCondition.NotAcceptable, "no"))
            : ValueTask.FromResult<XElement?>(new XElement(name, request.Query!.Value.ToUpperInvariant())));

        var reply = await a.SendIqAsync(new Iq { Type = IqType.Get, To = b.Jid, Payload = [new XElement(name, "shout")] }, cancellationToken: Token);
        var refused = await Assert.ThrowsAsync<StanzaErrorException>(() => a.SendIqAsync(new Iq { Type = IqType.Get, To = b.Jid, Payload = [new XElement(name, "fail")] }, cancellationToken: Token));

        Assert.Equal("SHOUT", reply.Query?.Value);
        Assert.Equal(StanzaErrorCondition.NotAcceptable, refused.Error.Condition);
        Assert.Equal("no", refused.Error.Text);
    }

    [Fact]
    public async Task SendIqAsync_NoReply_ThrowsTimeout()
    {
        var (alice, bob) = (await prosody.CreateAccountAsync("alice", Token), await prosody.CreateAccountAsync("bob", Token));
        await using var a = await TestClients.ConnectOnlineAsync(prosody.Server, alice);
        await using var b = await TestClients.ConnectOnlineAsync(prosody.Server, bob);
        var name = XName.Get("slow", "urn:example:slow");
        var never = new TaskCompletionSource<XElement?>();
        b.SetIqHandler(name, (_, ct) => new ValueTask<XElement?>(never.Task.WaitAsync(ct)));

        var ex = await Assert.ThrowsAsync<XmppTimeoutException>(() => a.SendIqAsync(
            new Iq { Type = IqType.Get, To = b.Jid, Payload = [new XElement(name)] }, TimeSpan.FromMilliseconds(300), Token));

        Assert.True(ex.IsTransient);
        Assert.True(a.IsConnected);
    }

    [Fact]
    [Trait("Spec", "XEP-0198 §4")]
    public async Task SendTrackedAsync_NoRequestAskedFor_FewStanzasStillAcknowledgedOnceTheStreamIsQuiet()
    {
        var (alice, bob) = (await prosody.CreateAccountAsync("alice", Token), await prosody.CreateAccountAsync("bob", Token));
        await using var a = await TestClients.ConnectOnlineAsync(prosody.Server, alice);
        await using var b = await TestClients.ConnectOnlineAsync(prosody.Server, bob);

        // Fewer than the request threshold, none asking: only the quiet-stream request gets them acknowledged.
        var sent = new List<SentStanza>();
        for (var i = 0; i < 3; i++)
        {
            sent.Add(await a.SendTrackedAsync(new Message { To = b.Jid, Type = MessageType.Chat, Body = $"q{i}", Id = $"quiet-{i}" }, requestAcknowledgementNow: false, cancellationToken: Token));
        }

        await Task.WhenAll(sent.Select(s => s.Acknowledged)).WaitAsync(TestClients.Patience, Token);
        Assert.Empty(a.UnacknowledgedStanzas);
        Assert.Equal("q2", (await b.ReceiveAsync<Message>(m => m.Id == "quiet-2")).Body);
    }

    [Fact]
    [Trait("Spec", "XEP-0198 §4")]
    public async Task SendTrackedAsync_ManyStanzasMixedWithIqs_AllAcknowledgedInOrder()
    {
        var (alice, bob) = (await prosody.CreateAccountAsync("alice", Token), await prosody.CreateAccountAsync("bob", Token));
        await using var a = await TestClients.ConnectOnlineAsync(prosody.Server, alice);
        await using var b = await TestClients.ConnectOnlineAsync(prosody.Server, bob);
        Assert.True(a.IsStreamManagementEnabled);

        var sent = new List<SentStanza>();
        for (var i = 0; i < 20; i++)
        {
            sent.Add(await a.SendTrackedAsync(new Message { To = b.Jid, Type = MessageType.Chat, Body = $"n{i}", Id = $"sm-{i}" }, cancellationToken: Token));
            if (i % 7 == 0)
            {
                await a.PingAsync(cancellationToken: Token); // IQs count towards 'h' too (XEP-0198 §4)
            }
        }

        await Task.WhenAll(sent.Select(s => s.Acknowledged)).WaitAsync(TestClients.Patience, Token);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal($"n{i}", (await b.ReceiveAsync<Message>(m => m.Id == $"sm-{i}")).Body);
        }

        Assert.Empty(a.UnacknowledgedStanzas);
        Assert.True(a.IsConnected);
    }
}
