using System.Security.Cryptography.X509Certificates;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Pool;

/// <summary><see cref="SessionPool.UpdateAsync"/> against Prosody: a running session moved to new settings.</summary>
[Trait("Tier", "Integration")]
public sealed class SessionUpdateTests(ProsodyFixture prosody) : IAsyncDisposable
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private readonly InMemoryPoolStore _store = new(outboxIsDurable: true);
    private SessionPool? _pool;

    private async Task<SessionPool> StartPoolAsync()
    {
        _pool = new SessionPool(
            new SessionPoolOptions
            {
                AllowHostOverride = true,
                TrustedCertificates = [X509CertificateLoader.LoadCertificate(prosody.Server.Certificate.RawData)],
                ReconnectBaseDelay = TimeSpan.FromMilliseconds(50),
                ReconnectMaxDelay = TimeSpan.FromMilliseconds(500),
            },
            NullLoggerFactory.Instance,
            store: _store);
        await _pool.StartAsync(Token);
        return _pool;
    }

    /// <summary>A pool with session "s" of tenant "t" online for a new account, and an online peer for it to talk to.</summary>
    private async Task<(SessionPool Pool, TestAccount Account, XmppClient Peer, SessionInfo Created)> StartWithPeerAsync()
    {
        var pool = await StartPoolAsync();
        var (account, peerAccount) = (await prosody.CreateAccountAsync("update", Token), await prosody.CreateAccountAsync("peer", Token));
        var peer = await TestClients.ConnectOnlineAsync(prosody.Server, peerAccount);
        try
        {
            return (pool, account, peer, await pool.CreateAsync("t", Spec(account, "s"), Token));
        }
        catch
        {
            await peer.DisposeAsync();
            throw;
        }
    }

    private SessionSpec Spec(TestAccount account, string id) => new()
    {
        Id = id, Jid = Jid.Parse(account.Bare), Password = account.Password, Host = prosody.Server.Host, Port = prosody.Server.C2sPort, Resource = "first",
    };

    public async ValueTask DisposeAsync()
    {
        if (_pool is not null)
        {
            await _pool.DisposeAsync();
        }
    }

    [Fact]
    public async Task NewPassword_AfterTheServerChangedIt_FailedSessionComesBackOnlineWithItsEventIdsContinuing()
    {
        var (pool, account, peer, _) = await StartWithPeerAsync();
        await using var disposePeer = peer;
        var session = pool.Find("t", "s")!;

        // The password changes on the server; the next login with the old one is refused, which retrying cannot fix.
        var changed = await prosody.Server.SetPasswordAsync(account, Token);
        session.AbortConnection();
        await WaitUntilAsync(() => session.Info.State == SessionState.Failed);
        var before = session.Info;
        Assert.Equal("not-authorized", before.Reason);

        var info = await pool.UpdateAsync("t", "s", new SessionSpecChange { Password = changed.Password }, Token);

        Assert.NotNull(info);
        Assert.Equal(SessionState.Online, info.State);
        var moved = pool.Find("t", "s")!;

        // The journal continues: the state the new session reaches is the next event, and it never said stopped.
        await WaitUntilAsync(() => StatesAfter(pool, before.LastEventId).Contains(SessionState.Online));
        Assert.DoesNotContain(SessionState.Stopped, StatesAfter(pool, before.LastEventId));
        var receipt = await moved.EnqueueAsync(new Message { To = peer.Jid, Type = MessageType.Chat, Body = "after the new password" }, DeliveryWait.Server, Token);
        Assert.Equal("after the new password", (await peer.ReceiveAsync<Message>(m => m.Id == receipt.StanzaId)).Body);
        Assert.Equal(changed.Password, (await ((ISessionStore)_store).FindAsync("t", "s", Token))!.Spec.Password);
        var history = await pool.ReadHistoryAsync("t", "s", 0, 1000, long.MaxValue, Token);
        Assert.Equal(Enumerable.Range(1, history.Events.Count).Select(i => (long)i), history.Events.Select(e => e.EventId));
    }

    [Fact]
    public async Task FailedSession_KeepsWhatItAccepted_NewPasswordSendsItOnce()
    {
        var (pool, account, peer, _) = await StartWithPeerAsync();
        await using var disposePeer = peer;
        var session = pool.Find("t", "s")!;

        // The server's password changes and the stream drops (Prosody closes a changed account's streams): the session
        // fails on its next login. What was accepted before the failure and not yet acknowledged is kept, not failed.
        var changed = await prosody.Server.SetPasswordAsync(account, Token);
        session.AbortConnection();
        var accepted = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            try
            {
                accepted.Add((await session.EnqueueAsync(new Message { To = peer.Jid, Type = MessageType.Chat, Body = $"kept-{i}", Id = $"kept-{i}" }, DeliveryWait.Queued, Token)).StanzaId);
            }
            catch (SessionUnavailableException)
            {
                break; // Failed already: refused, not accepted.
            }
        }

        await WaitUntilAsync(() => session.Info.State == SessionState.Failed);
        Assert.NotEmpty(accepted);
        Assert.All(accepted, id => Assert.NotEqual(DeliveryStatus.Failed, session.GetMessageStatus(id)?.Status));

        await pool.UpdateAsync("t", "s", new SessionSpecChange { Password = changed.Password }, Token);

        foreach (var id in accepted)
        {
            Assert.StartsWith("kept-", (await peer.ReceiveAsync<Message>(m => m.Id == id)).Body, StringComparison.Ordinal);
        }

        // Once each: a ping answered after anything else the server had for the peer is the sentinel.
        await peer.PingAsync(cancellationToken: Token);
        await Assert.ThrowsAsync<TimeoutException>(() => peer.ReceiveAsync<Message>(m => m.Id?.StartsWith("kept-", StringComparison.Ordinal) == true, TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    [Trait("Spec", "XEP-0198 §5")]
    public async Task NewPassword_WhileOnline_StreamResumedWithTheNewLoginAndUsedForTheNextReconnect()
    {
        var (pool, account, peer, created) = await StartWithPeerAsync();
        await using var disposePeer = peer;
        var changed = await prosody.Server.SetPasswordAsync(account, Token);

        var info = await pool.UpdateAsync("t", "s", new SessionSpecChange { Password = changed.Password }, Token);

        Assert.NotNull(info);
        Assert.Equal(SessionState.Online, info.State);
        Assert.Equal(created.BoundJid, info.BoundJid);
        var states = (await pool.ReadHistoryAsync("t", "s", 0, 1000, long.MaxValue, Token)).Events.OfType<SessionStateChanged>().Select(e => e.State);
        Assert.DoesNotContain(SessionState.Stopped, states);

        // The next connection logs in with the new password: the old one would now fail the session.
        var moved = pool.Find("t", "s")!;
        moved.AbortConnection();
        await WaitUntilAsync(() => moved.Info is { State: SessionState.Online, ReconnectAttempt: 0 } && moved.Info.StateSince > info.StateSince);
        var receipt = await moved.EnqueueAsync(new Message { To = peer.Jid, Type = MessageType.Chat, Body = "after a reconnect" }, DeliveryWait.Server, Token);
        Assert.Equal("after a reconnect", (await peer.ReceiveAsync<Message>(m => m.Id == receipt.StanzaId)).Body);
    }

    [Fact]
    public async Task WrongPassword_RefusedBeforeTheSessionIsTouched_ItRunsOnAsItWas()
    {
        var (pool, account, peer, _) = await StartWithPeerAsync();
        await using var disposePeer = peer;
        var session = pool.Find("t", "s")!;

        var refused = await Assert.ThrowsAsync<SaslFailedException>(() => pool.UpdateAsync("t", "s", new SessionSpecChange { Password = "not-the-password" }, Token));

        Assert.True(refused.IsCredentialFailure);
        Assert.Same(session, pool.Find("t", "s"));
        Assert.Equal(SessionState.Online, session.Info.State);
        var states = (await pool.ReadHistoryAsync("t", "s", 0, 1000, long.MaxValue, Token)).Events.OfType<SessionStateChanged>();
        Assert.All(states, e => Assert.Equal(SessionState.Online, e.State));
        Assert.Equal(account.Password, (await ((ISessionStore)_store).FindAsync("t", "s", Token))!.Spec.Password);
        var receipt = await session.EnqueueAsync(new Message { To = peer.Jid, Type = MessageType.Chat, Body = "still here" }, DeliveryWait.Server, Token);
        Assert.Equal("still here", (await peer.ReceiveAsync<Message>(m => m.Id == receipt.StanzaId)).Body);
    }

    [Fact]
    [Trait("Spec", "XEP-0198 §5")]
    public async Task RequestReceiptsOff_StreamResumed_NothingLostOrRepeatedEitherWay()
    {
        var (pool, account, peer, created) = await StartWithPeerAsync();
        await using var disposePeer = peer;
        var session = pool.Find("t", "s")!;
        Assert.True(created.Settings.RequestReceipts);

        // Queued (not yet acknowledged) when the move starts: they go out once, on the resumed stream or before it.
        for (var i = 0; i < 10; i++)
        {
            await session.EnqueueAsync(new Message { To = peer.Jid, Type = MessageType.Chat, Body = $"out-{i}", Id = $"out-{i}" }, DeliveryWait.Queued, Token);
        }

        await peer.SendAsync(new Message { To = created.BoundJid, Type = MessageType.Chat, Body = "in-before", Id = "in-before" }, Token);
        var info = await pool.UpdateAsync("t", "s", new SessionSpecChange { RequestReceipts = false }, Token);
        await peer.SendAsync(new Message { To = created.BoundJid, Type = MessageType.Chat, Body = "in-after", Id = "in-after" }, Token);

        Assert.NotNull(info);
        Assert.False(info.Settings.RequestReceipts);
        Assert.Equal(created.BoundJid, info.BoundJid);
        var moved = pool.Find("t", "s")!;
        Assert.NotSame(session, moved);
        await moved.EnqueueAsync(new Message { To = peer.Jid, Type = MessageType.Chat, Body = "out-10", Id = "out-10" }, DeliveryWait.Server, Token);
        for (var i = 0; i <= 10; i++)
        {
            var received = await peer.ReceiveAsync<Message>(m => m.Id == $"out-{i}");
            Assert.Equal(i < 10, received.FindPayload(ReceiptElements.Request) is not null);
        }

        // The sentinel: a ping answered after anything else the server had for the peer.
        await peer.PingAsync(cancellationToken: Token);
        await Assert.ThrowsAsync<TimeoutException>(() => peer.ReceiveAsync<Message>(m => m.Id?.StartsWith("out-", StringComparison.Ordinal) == true, TimeSpan.FromMilliseconds(300)));
        await WaitUntilAsync(() => Received(pool, "in-after") == 1);
        Assert.Equal(1, Received(pool, "in-before"));
    }

    [Fact]
    public async Task NewResource_NewStreamBoundToIt_MessagesToTheOldStreamCaughtUpFromTheArchive()
    {
        var (pool, account, peer, created) = await StartWithPeerAsync();
        await using var disposePeer = peer;
        await peer.SendAsync(new Message { To = created.BoundJid, Type = MessageType.Chat, Body = "to the first", Id = "in-1" }, Token);
        await WaitUntilAsync(() => Received(pool, "in-1") == 1);

        var info = await pool.UpdateAsync("t", "s", new SessionSpecChange { Resource = "second" }, Token);

        Assert.NotNull(info);
        Assert.Equal(SessionState.Online, info.State);
        Assert.Equal("second", info.BoundJid?.Resource);
        Assert.Equal("second", info.Settings.Resource);
        await peer.SendAsync(new Message { To = info.BoundJid, Type = MessageType.Chat, Body = "to the second", Id = "in-2" }, Token);
        await WaitUntilAsync(() => Received(pool, "in-2") == 1);
        Assert.Equal(1, Received(pool, "in-1"));
    }

    [Fact]
    public async Task NothingChanged_SameSessionAnswered_UnknownSessionIsNull()
    {
        var pool = await StartPoolAsync();
        var account = await prosody.CreateAccountAsync("update", Token);
        await pool.CreateAsync("t", Spec(account, "s"), Token);
        var session = pool.Find("t", "s")!;

        var same = await pool.UpdateAsync("t", "s", new SessionSpecChange { Resource = "first", RequestReceipts = null }, Token);

        Assert.Same(session, pool.Find("t", "s"));
        Assert.Equal(session.Info.BoundJid, same!.BoundJid);
        Assert.Equal(session.Info.Settings, same.Settings);
        Assert.Null(await pool.UpdateAsync("t", "missing", new SessionSpecChange { RequestReceipts = false }, Token));
        Assert.Null(await pool.UpdateAsync("other-tenant", "s", new SessionSpecChange { RequestReceipts = false }, Token));
    }

    private static SessionState[] StatesAfter(SessionPool pool, long eventId) =>
        [.. pool.ReadHistoryAsync("t", "s", eventId, 1000, long.MaxValue, Token).Result.Events.OfType<SessionStateChanged>().Select(e => e.State)];

    private int Received(SessionPool pool, string messageId) =>
        pool.ReadHistoryAsync("t", "s", 0, 10_000, long.MaxValue, Token).Result.Events.Count(e => e is MessageReceived m && m.Message.Id == messageId);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(Token);
        patience.CancelAfter(TestClients.Patience);
        while (!condition())
        {
            await Task.Delay(20, patience.Token);
        }
    }
}
