using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Xml.Linq;
using Gateway.Tests.Fakes;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Pool;

[Trait("Tier", "Integration")]
public sealed class SessionPoolTests(ProsodyFixture prosody) : IAsyncDisposable
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private readonly List<SessionPool> _pools = [];

    private SessionPool NewPool(Func<SessionPoolOptions, SessionPoolOptions>? configure = null, IPoolStore? store = null)
    {
        var options = new SessionPoolOptions
        {
            AllowHostOverride = true,
            TrustedCertificates = [X509CertificateLoader.LoadCertificate(prosody.Server.Certificate.RawData)],
            ReconnectBaseDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(500),
            IqAnswerTimeout = TimeSpan.FromSeconds(5),
        };
        var pool = new SessionPool(configure?.Invoke(options) ?? options, NullLoggerFactory.Instance, store: store);
        _pools.Add(pool);
        return pool;
    }

    private SessionSpec Spec(TestAccount account, string? id = null) => new()
    {
        Id = id, Jid = Jid.Parse(account.Bare), Password = account.Password, Host = prosody.Server.Host, Port = prosody.Server.C2sPort,
    };

    public async ValueTask DisposeAsync()
    {
        foreach (var pool in _pools)
        {
            await pool.DisposeAsync();
        }
    }

    [Fact]
    public async Task CreateAsync_ValidAccount_OnlineAndListedForItsTenantOnly()
    {
        var pool = NewPool();
        await pool.StartAsync(Token);
        var account = await prosody.CreateAccountAsync("pool", Token);

        var info = await pool.CreateAsync("tenant-a", Spec(account, "s1"), Token);

        Assert.Equal(SessionState.Online, info.State);
        Assert.Equal("s1", info.Id);
        Assert.Equal(account.Bare, info.BoundJid?.Bare.ToString());
        Assert.True(info.StreamManagement);
        Assert.Single(pool.List("tenant-a"));
        Assert.Empty(pool.List("tenant-b"));
        Assert.Null(pool.Find("tenant-b", "s1"));
        Assert.True(pool.GetHealth().Running);
        await Assert.ThrowsAsync<SessionConflictException>(() => pool.CreateAsync("tenant-a", Spec(account, "s1"), Token));
    }

    [Fact]
    public async Task CreateAsync_WrongPassword_ThrowsAndKeepsNothing()
    {
        var pool = NewPool();
        var account = await prosody.CreateAccountAsync("pool", Token);

        var ex = await Assert.ThrowsAsync<SaslFailedException>(() => pool.CreateAsync("t", Spec(account with { Password = "nope" }, "bad"), Token));

        Assert.Equal("not-authorized", ex.Condition);
        Assert.Empty(pool.List("t"));
    }

    [Fact]
    public async Task CreateAsync_HostOverrideNotAllowed_Refused()
    {
        var pool = NewPool(o => o with { AllowHostOverride = false });
        var account = await prosody.CreateAccountAsync("pool", Token);

        await Assert.ThrowsAsync<ArgumentException>(() => pool.CreateAsync("t", Spec(account), Token));
    }

    [Fact]
    [Trait("Spec", "XEP-0198 §4")]
    public async Task EnqueueAsync_WaitForServer_AckedAndDelivered()
    {
        var pool = NewPool();
        var (account, peerAccount) = (await prosody.CreateAccountAsync("pool", Token), await prosody.CreateAccountAsync("peer", Token));
        await using var peer = await TestClients.ConnectOnlineAsync(prosody.Server, peerAccount);
        await pool.CreateAsync("t", Spec(account, "s"), Token);
        var session = pool.Find("t", "s")!;

        var receipt = await session.EnqueueAsync(new Message { To = peer.Jid, Type = MessageType.Chat, Body = "acked", Payload = [new XElement(XName.Get("x", "urn:example"))] }, DeliveryWait.Server, Token);
        var received = await peer.ReceiveAsync<Message>(m => m.Id == receipt.StanzaId);

        Assert.True(receipt.AckedByServer);
        Assert.Equal("acked", received.Body);
        Assert.Equal(account.Bare, received.From?.Bare.ToString());
        Assert.Contains(received.Payload, p => p.Name == XName.Get("x", "urn:example"));
    }

    [Fact]
    public async Task Events_MessagePresenceAndStateNumberedInOrder()
    {
        var pool = NewPool();
        var (account, peerAccount) = (await prosody.CreateAccountAsync("pool", Token), await prosody.CreateAccountAsync("peer", Token));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Token);
        cts.CancelAfter(TestClients.Patience);
        var events = new List<SessionEvent>();
        var gotMessage = new TaskCompletionSource();
        var reader = Task.Run(async () =>
        {
            await foreach (var e in pool.ReadEventsAsync(cts.Token))
            {
                events.Add(e);
                if (e is MessageReceived)
                {
                    gotMessage.TrySetResult();
                }
            }
        }, cts.Token);
        var info = await pool.CreateAsync("t", Spec(account, "s"), Token);
        await using var peer = await TestClients.ConnectOnlineAsync(prosody.Server, peerAccount);

        await peer.SendAsync(new Message { To = info.BoundJid, Type = MessageType.Chat, Body = "to the pool" }, Token);
        await gotMessage.Task.WaitAsync(cts.Token);

        var ours = events.Where(e => e.SessionId == "s").ToArray();
        Assert.Equal(Enumerable.Range(1, ours.Length).Select(i => (long)i), ours.Select(e => e.EventId));
        Assert.Contains(ours, e => e is SessionStateChanged { State: SessionState.Online });
        var message = Assert.IsType<MessageReceived>(ours[^1]);
        Assert.Equal("to the pool", message.Message.Body);
        Assert.Equal("t", message.Tenant);
        await cts.CancelAsync();
    }

    [Fact]
    public async Task AbortConnection_SessionReconnectsAndDeliversQueuedStanzas()
    {
        var pool = NewPool();
        var (account, peerAccount) = (await prosody.CreateAccountAsync("pool", Token), await prosody.CreateAccountAsync("peer", Token));
        await using var peer = await TestClients.ConnectOnlineAsync(prosody.Server, peerAccount);
        await pool.CreateAsync("t", Spec(account, "s"), Token);
        var session = pool.Find("t", "s")!;

        session.AbortConnection();
        var queued = await session.EnqueueAsync(new Message { To = peer.Jid, Type = MessageType.Chat, Body = "survives" }, DeliveryWait.Queued, Token);
        var received = await peer.ReceiveAsync<Message>(m => m.Id == queued.StanzaId);

        Assert.Equal("survives", received.Body);
        await WaitUntilAsync(() => session.Info.State == SessionState.Online);
    }

    [Fact]
    public async Task CreateAsync_TenantAtItsLimit_RefusedUntilOneOfItsSessionsIsRemoved()
    {
        var pool = NewPool(o => o with { MaxSessionsPerTenant = 1 });
        var (a, b, c) = (await prosody.CreateAccountAsync("pool", Token), await prosody.CreateAccountAsync("pool", Token), await prosody.CreateAccountAsync("pool", Token));
        await pool.CreateAsync("t1", Spec(a, "s1"), Token);

        await Assert.ThrowsAsync<SessionLimitException>(() => pool.CreateAsync("t1", Spec(b, "s2"), Token));
        await pool.CreateAsync("t2", Spec(b, "s2"), Token);
        Assert.True(await pool.RemoveAsync("t1", "s1", Token));
        await pool.CreateAsync("t1", Spec(c, "s3"), Token);

        Assert.Equal(["s3"], pool.List("t1").Select(i => i.Id));
    }

    [Fact]
    public async Task EnqueueAsync_QueueFullWhileReconnecting_ThrowsWithRetryAfter()
    {
        var pool = NewPool(o => o with { OutboundQueueCapacity = 2, ReconnectBaseDelay = TimeSpan.FromSeconds(30), ReconnectMaxDelay = TimeSpan.FromSeconds(30) });
        var account = await prosody.CreateAccountAsync("pool", Token);
        await pool.CreateAsync("t", Spec(account, "s"), Token);
        var session = pool.Find("t", "s")!;
        session.AbortConnection();
        await WaitUntilAsync(() => session.Info.State == SessionState.Reconnecting);
        var to = Jid.Parse("nobody@localhost");

        await session.EnqueueAsync(new Message { To = to, Body = "1" }, DeliveryWait.Queued, Token);
        await session.EnqueueAsync(new Message { To = to, Body = "2" }, DeliveryWait.Queued, Token);
        var ex = await Assert.ThrowsAsync<OutboundQueueFullException>(() => session.EnqueueAsync(new Message { To = to, Body = "3" }, DeliveryWait.Queued, Token));

        Assert.True(ex.RetryAfter > TimeSpan.Zero);
        Assert.Equal(2, session.Info.QueuedOutbound);
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §8.2.3")]
    public async Task IqRequest_ForwardedAsEventAndAnsweredByApplication()
    {
        var pool = NewPool();
        var (account, peerAccount) = (await prosody.CreateAccountAsync("pool", Token), await prosody.CreateAccountAsync("peer", Token));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var info = await pool.CreateAsync("t", Spec(account, "s"), Token);
        var session = pool.Find("t", "s")!;
        await using var peer = await TestClients.ConnectOnlineAsync(prosody.Server, peerAccount);
        var answering = Task.Run(async () =>
        {
            await foreach (var e in pool.ReadEventsAsync(cts.Token))
            {
                if (e is IqRequestReceived request)
                {
                    Assert.True(await session.AnswerIqAsync(request.Request.ResultReply(new XElement(XName.Get("answer", "urn:example:app"), "42")), cts.Token));
                    return;
                }
            }
        }, cts.Token);

        var reply = await peer.SendIqAsync(new Iq { Type = IqType.Get, To = info.BoundJid, Payload = [new XElement(XName.Get("question", "urn:example:app"))] }, cancellationToken: Token);
        await answering;

        Assert.Equal("42", reply.Query?.Value);
        await cts.CancelAsync();
    }

    [Fact]
    public async Task IqRequest_NotAnsweredInTime_ServiceUnavailable()
    {
        var pool = NewPool(o => o with { IqAnswerTimeout = TimeSpan.FromMilliseconds(300) });
        var (account, peerAccount) = (await prosody.CreateAccountAsync("pool", Token), await prosody.CreateAccountAsync("peer", Token));
        var info = await pool.CreateAsync("t", Spec(account, "s"), Token);
        await using var peer = await TestClients.ConnectOnlineAsync(prosody.Server, peerAccount);

        var ex = await Assert.ThrowsAsync<StanzaErrorException>(() => peer.SendIqAsync(new Iq { Type = IqType.Get, To = info.BoundJid, Id = "unanswered-1", Payload = [new XElement(XName.Get("question", "urn:example:app"))] }, cancellationToken: Token));

        Assert.Equal(StanzaErrorCondition.ServiceUnavailable, ex.Error.Condition);
        // The refusal came from the gateway after forwarding, not from the server: the request was published first.
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Token);
        cts.CancelAfter(TestClients.Patience);
        await foreach (var e in pool.ReadEventsAsync(cts.Token))
        {
            if (e is IqRequestReceived { Request.Id: "unanswered-1" } forwarded)
            {
                Assert.Equal(peer.Jid, forwarded.Request.From);
                break;
            }
        }
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §4.9.3.3")]
    public async Task LoginElsewhereWithSameResource_SessionFailsWithConflictAndStopsRetrying()
    {
        var pool = NewPool();
        var account = await prosody.CreateAccountAsync("pool", Token);
        var info = await pool.CreateAsync("t", Spec(account, "s") with { Resource = "fixed" }, Token);
        var session = pool.Find("t", "s")!;

        await using var intruder = await TestClients.ConnectAsync(prosody.Server, account, resource: "fixed");
        await WaitUntilAsync(() => session.Info.State == SessionState.Failed);

        Assert.Equal("conflict", session.Info.Reason);
        await Assert.ThrowsAsync<SessionUnavailableException>(() => session.EnqueueAsync(new Message { To = info.Jid, Body = "x" }, DeliveryWait.Queued, Token));
    }

    [Fact]
    [Trait("Spec", "RFC 6121 §4.5")]
    public async Task RemoveAsync_SendsUnavailableAndForgetsSession()
    {
        var pool = NewPool();
        var (account, peerAccount) = (await prosody.CreateAccountAsync("pool", Token), await prosody.CreateAccountAsync("peer", Token));
        await using var peer = await TestClients.ConnectOnlineAsync(prosody.Server, peerAccount);
        await pool.CreateAsync("t", Spec(account, "s"), Token);
        var session = pool.Find("t", "s")!;
        // Let the peer see the session's presence: a directed presence both ways is enough, no subscription needed.
        await peer.SendAsync(new Presence { To = session.Jid }, Token);
        await session.SendAsync(new Presence { To = peer.Jid }, Token);
        await peer.ReceiveAsync<Presence>(p => p.From == session.Jid && p.Type == PresenceType.Available);
        var bound = session.Jid;

        Assert.True(await pool.RemoveAsync("t", "s", Token));

        await peer.ReceiveAsync<Presence>(p => p.From == bound && p.Type == PresenceType.Unavailable);
        Assert.Null(pool.Find("t", "s"));
        Assert.False(await pool.RemoveAsync("t", "s", Token));
    }

    [Fact]
    [Trait("Spec", "XEP-0198 §5")]
    public async Task AbortConnection_StreamResumed_OutboundAndInboundExactlyOnce()
    {
        var pool = NewPool();
        var (account, peerAccount) = (await prosody.CreateAccountAsync("pool", Token), await prosody.CreateAccountAsync("peer", Token));
        await using var peer = await TestClients.ConnectOnlineAsync(prosody.Server, peerAccount);
        var info = await pool.CreateAsync("t", Spec(account, "s"), Token);
        var session = pool.Find("t", "s")!;
        var inbound = new List<MessageReceived>();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var reader = Task.Run(async () =>
        {
            await foreach (var e in pool.ReadEventsAsync(cts.Token))
            {
                if (e is MessageReceived m)
                {
                    lock (inbound)
                    {
                        inbound.Add(m);
                    }
                }
            }
        }, cts.Token);

        var receipts = new List<Task<SendReceipt>>();
        for (var i = 0; i < 30; i++)
        {
            receipts.Add(session.EnqueueAsync(new Message { To = peer.Jid, Type = MessageType.Chat, Body = $"out-{i}", Id = $"out-{i}" }, DeliveryWait.Server, Token));
            if (i == 10)
            {
                session.AbortConnection();
                // Sent while the session is cut off: the server keeps it for the hibernating stream.
                await peer.SendAsync(new Message { To = info.BoundJid, Type = MessageType.Chat, Body = "while-away", Id = "in-1" }, Token);
            }
        }

        var acked = await Task.WhenAll(receipts).WaitAsync(TestClients.Patience, Token);
        Assert.All(acked, r => Assert.True(r.AckedByServer));
        for (var i = 0; i < 30; i++)
        {
            await peer.ReceiveAsync<Message>(m => m.Id == $"out-{i}");
        }

        // Nothing arrives twice: a resumed stream resends only what the server had not handled.
        await peer.PingAsync(cancellationToken: Token);
        await Assert.ThrowsAsync<TimeoutException>(() => peer.ReceiveAsync<Message>(m => m.Id?.StartsWith("out-", StringComparison.Ordinal) == true, TimeSpan.FromMilliseconds(500)));
        await WaitUntilAsync(() => { lock (inbound) { return inbound.Any(m => m.Message.Id == "in-1"); } });
        lock (inbound)
        {
            Assert.Single(inbound, m => m.Message.Id == "in-1");
        }

        Assert.Equal(info.BoundJid, session.Info.BoundJid);
        await cts.CancelAsync();
    }

    [Fact]
    public async Task StartAsync_AfterRestart_RestoresSessionsAndContinuesEventIds()
    {
        var store = new InMemoryPoolStore();
        var (account, peerAccount) = (await prosody.CreateAccountAsync("pool", Token), await prosody.CreateAccountAsync("peer", Token));
        await using var peer = await TestClients.ConnectOnlineAsync(prosody.Server, peerAccount);
        var first = NewPool(store: store);
        await first.StartAsync(Token);
        var info = await first.CreateAsync("t", Spec(account, "s") with { Resource = "restored" }, Token);
        await peer.SendAsync(new Message { To = info.BoundJid, Type = MessageType.Chat, Body = "before restart", Id = "b1" }, Token);
        await WaitUntilAsync(() => store.ReadAsync("t", "s", 0, 100, long.MaxValue, Token).Result.Events.Any(e => e is MessageReceived { Message.Id: "b1" }));
        var lastBefore = (await store.GetHeadAsync("t", "s", Token)).LastEventId;
        await first.StopAsync(Token);

        var second = NewPool(store: store);
        await second.StartAsync(Token);
        var restored = second.Find("t", "s");
        Assert.NotNull(restored);
        await WaitUntilAsync(() => restored.Info.State == SessionState.Online);
        await peer.SendAsync(new Message { To = restored.Info.BoundJid, Type = MessageType.Chat, Body = "after restart", Id = "a1" }, Token);
        await WaitUntilAsync(() => store.ReadAsync("t", "s", 0, 1000, long.MaxValue, Token).Result.Events.Any(e => e is MessageReceived { Message.Id: "a1" }));

        var history = await second.ReadHistoryAsync("t", "s", 0, 1000, long.MaxValue, Token);
        Assert.Equal(Enumerable.Range(1, history.Events.Count).Select(i => (long)i), history.Events.Select(e => e.EventId));
        var after = history.Events.OfType<MessageReceived>().Single(e => e.Message.Id == "a1");
        Assert.True(after.EventId > lastBefore);
        Assert.False(history.Gap);
    }

    [Fact]
    [Trait("Spec", "XEP-0184, XEP-0333")]
    public async Task DeliveryStatus_ReceiptAndDisplayedMarker_MovesForwardAndIsPublished()
    {
        var pool = NewPool();
        var (account, peerAccount) = (await prosody.CreateAccountAsync("pool", Token), await prosody.CreateAccountAsync("peer", Token));
        await using var peer = await TestClients.ConnectOnlineAsync(prosody.Server, peerAccount);
        var info = await pool.CreateAsync("t", Spec(account, "s"), Token);
        var session = pool.Find("t", "s")!;
        var statuses = new List<DeliveryStatus>();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var reader = Task.Run(async () =>
        {
            await foreach (var e in pool.ReadEventsAsync(cts.Token))
            {
                if (e is MessageStatusChanged { Status.MessageId: "tracked-1" } changed)
                {
                    lock (statuses)
                    {
                        statuses.Add(changed.Status.Status);
                    }
                }
            }
        }, cts.Token);

        await session.EnqueueAsync(new Message { To = peer.Jid.Bare, Type = MessageType.Chat, Body = "track me", Id = "tracked-1" }, DeliveryWait.Queued, Token);
        var received = await peer.ReceiveAsync<Message>(m => m.Id == "tracked-1");
        Assert.NotNull(received.FindPayload(ReceiptElements.Request));
        Assert.NotNull(received.FindPayload(ReceiptElements.Markable));
        Assert.Equal("tracked-1", (string?)received.FindPayload(ReceiptElements.OriginId)?.Attribute("id"));

        await peer.SendAsync(new Message { To = info.BoundJid, Type = MessageType.Chat, Payload = [ReceiptElements.ReceivedFor("tracked-1")] }, Token);
        await WaitUntilAsync(() => session.GetMessageStatus("tracked-1")?.Status == DeliveryStatus.Delivered);
        await peer.SendAsync(new Message { To = info.BoundJid, Type = MessageType.Chat, Payload = [new XElement(ReceiptElements.MarkerDisplayed, new XAttribute("id", "tracked-1"))] }, Token);
        await WaitUntilAsync(() => session.GetMessageStatus("tracked-1")?.Status == DeliveryStatus.Displayed);
        await WaitUntilAsync(() => { lock (statuses) { return statuses.Contains(DeliveryStatus.Displayed); } });

        lock (statuses)
        {
            Assert.Equal(statuses.Order(), statuses);
            Assert.Equal(statuses.Distinct(), statuses);

            // Queued (the send's own answer) and sent (momentary) are kept for GET, not published as events.
            Assert.DoesNotContain(DeliveryStatus.Queued, statuses);
            Assert.DoesNotContain(DeliveryStatus.Sent, statuses);
            Assert.Contains(DeliveryStatus.Delivered, statuses);
        }

        await cts.CancelAsync();
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §8.3")]
    public async Task DeliveryStatus_RecipientUnknown_FailedWithCondition()
    {
        var pool = NewPool();
        var account = await prosody.CreateAccountAsync("pool", Token);
        await pool.CreateAsync("t", Spec(account, "s"), Token);
        var session = pool.Find("t", "s")!;

        await session.EnqueueAsync(new Message { To = Jid.Parse($"nobody-{Guid.NewGuid():N}@{prosody.Server.Domain}"), Type = MessageType.Chat, Body = "anyone?", Id = "bounce-1" }, DeliveryWait.Queued, Token);
        await WaitUntilAsync(() => session.GetMessageStatus("bounce-1")?.Status == DeliveryStatus.Failed);

        Assert.Equal("service-unavailable", session.GetMessageStatus("bounce-1")!.ErrorCondition);
    }

    [Fact]
    public async Task EnqueueAsync_SameIdempotencyKey_SendsOnceAndReturnsFirstReceipt()
    {
        var pool = NewPool();
        var (account, peerAccount) = (await prosody.CreateAccountAsync("pool", Token), await prosody.CreateAccountAsync("peer", Token));
        await using var peer = await TestClients.ConnectOnlineAsync(prosody.Server, peerAccount);
        await pool.CreateAsync("t", Spec(account, "s"), Token);
        var session = pool.Find("t", "s")!;

        var first = await session.EnqueueAsync(new Message { To = peer.Jid, Type = MessageType.Chat, Body = "once" }, DeliveryWait.Server, "order-42", Token);
        var retry = await session.EnqueueAsync(new Message { To = peer.Jid, Type = MessageType.Chat, Body = "once" }, DeliveryWait.Server, "order-42", Token);
        var other = await session.EnqueueAsync(new Message { To = peer.Jid, Type = MessageType.Chat, Body = "twice" }, DeliveryWait.Server, "order-43", Token);

        Assert.Equal(first, retry);
        Assert.NotEqual(first.StanzaId, other.StanzaId);
        await peer.ReceiveAsync<Message>(m => m.Id == first.StanzaId);
        await peer.ReceiveAsync<Message>(m => m.Id == other.StanzaId);
        await peer.PingAsync(cancellationToken: Token);
        await Assert.ThrowsAsync<TimeoutException>(() => peer.ReceiveAsync<Message>(m => m.Id == first.StanzaId, TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    [Trait("Spec", "XEP-0184 §5.1")]
    public async Task IncomingMessageRequestingReceipt_SessionAnswersWithReceived()
    {
        // The peer is no contact: receipts to strangers are off by default (XEP-0184 §8, InboundPipelineTests).
        var pool = NewPool(o => o with { RespondTo = RespondTo.Anyone });
        var (account, peerAccount) = (await prosody.CreateAccountAsync("pool", Token), await prosody.CreateAccountAsync("peer", Token));
        await using var peer = await TestClients.ConnectOnlineAsync(prosody.Server, peerAccount);
        var info = await pool.CreateAsync("t", Spec(account, "s"), Token);

        await peer.SendAsync(new Message { To = info.BoundJid, Type = MessageType.Chat, Body = "did you get this?", Id = "ask-1", Payload = [ReceiptElements.RequestReceipt()] }, Token);
        var receipt = await peer.ReceiveAsync<Message>(m => ReceiptElements.FindAcknowledgement(m)?.Id == "ask-1");

        Assert.Equal(info.BoundJid, receipt.From);
    }

    [Fact]
    [Trait("Spec", "XEP-0199 §4.2")]
    public async Task KeepAlive_NetworkGoesSilent_PingUnansweredAndSessionReconnects()
    {
        await using var proxy = FaultProxy.Start(new IPEndPoint(IPAddress.Loopback, prosody.Server.C2sPort));
        var pool = NewPool(o => o with { KeepAliveInterval = TimeSpan.FromMilliseconds(400), KeepAliveTimeout = TimeSpan.FromMilliseconds(400) });
        var account = await prosody.CreateAccountAsync("pool", Token);
        await pool.CreateAsync("t", Spec(account, "s") with { Port = proxy.Port }, Token);
        var session = pool.Find("t", "s")!;

        // Idle but healthy: pinged every interval and answered, so the connection stays.
        await Task.Delay(TimeSpan.FromSeconds(2), Token);
        Assert.Equal(SessionState.Online, session.Info.State);
        Assert.Equal(1, proxy.ConnectionsAccepted);

        // Nothing gets through any more and nothing says so: only the unanswered ping finds out.
        proxy.Stall(true);
        await WaitUntilAsync(() => session.Info.State != SessionState.Online);
        proxy.Stall(false);
        await WaitUntilAsync(() => session.Info.State == SessionState.Online && proxy.ConnectionsAccepted >= 2);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Token);
        cts.CancelAfter(TestClients.Patience);
        while (!condition())
        {
            await Task.Delay(20, cts.Token);
        }
    }
}
