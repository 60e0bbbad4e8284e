using Gateway.Tests.Fakes;
using Gateway.Tests.Pool.Journal;
using Gateway.Tests.Support;
using Gateway.Xmpp;
using Gateway.Xmpp.Client;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Journal;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Pool.Outbound;

/// <summary>The outbound queue and its sender on a connection without a socket: admission, outbox, batching, settlement.</summary>
public sealed class OutboundTests : IAsyncDisposable
{
    private readonly JournalTestKit _kit = new();
    private readonly SessionJournal _journal;
    private readonly DeliveryTracker _delivery;
    private readonly OutboundQueue _queue;
    private readonly OutboundSender _sender;

    public OutboundTests() : this(capacity: 100)
    {
    }

    private OutboundTests(int capacity)
    {
        _journal = _kit.Journal.Open("t", "s", 0);
        _delivery = new DeliveryTracker(new MessageStatusTracker(1_000, TimeProvider.System), _journal, TimeProvider.System);
        _queue = new OutboundQueue("t", "s", new SessionPoolOptions { OutboundQueueCapacity = capacity }, _journal, _delivery, durable: true, () => "arc-7", () => TimeSpan.FromSeconds(1), TimeProvider.System, NullLogger.Instance);
        _sender = new OutboundSender(_queue, TimeSpan.FromSeconds(1), "t", "s", NullLogger.Instance);
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Accept_AnsweredOnlyOnceStored_WrittenInOneBatch_AcknowledgementEmptiesOutboxAndPublishesAcked()
    {
        _kit.Hold = new TaskCompletionSource();
        var accepted = Enumerable.Range(0, 3).Select(i => _queue.AcceptAsync(Chat($"m{i}"), waitForAck: false, tracked: true, Unavailable, Token)).ToArray();
        await Task.WhenAny(Task.WhenAll(accepted), Task.Delay(100, Token));
        Assert.All(accepted, a => Assert.False(a.IsCompleted));
        _kit.Hold.SetResult();
        await Task.WhenAll(accepted).WaitAsync(Token);
        var additions = _kit.Commits.SelectMany(c => c).Where(e => e.Kind == JournalEntryKind.OutboxAddition).ToArray();
        Assert.Equal(["m0", "m1", "m2"], additions.Select(e => e.Outbox!.StanzaId));
        Assert.All(additions, e => Assert.Equal("arc-7", e.Outbox!.ArchiveCursor));
        Assert.All(additions, e => Assert.Equal(Gateway.Xmpp.Protocol.StanzaSerializer.ToBytes(e.Outbox!.Stanza), e.Outbox!.SerializedStanza.ToArray()));

        var connection = new FakeConnection();
        using var context = new ConnectionContext(connection, 1);
        var run = _sender.RunAsync(context, Token);
        await WaitUntilAsync(() => connection.Written.Count() == 3);
        Assert.Single(connection.Writes);
        Assert.Equal(0, connection.AcknowledgementRequests); // caught up, nobody waiting: the connection asks once quiet (AckRequestScheduler)
        Assert.Equal(DeliveryStatus.Sent, _delivery.Get("m1")!.Status);

        connection.Acknowledge(3);
        await WaitUntilAsync(() => _kit.Dispatched.OfType<MessageStatusChanged>().Count(e => e.Status.Status == DeliveryStatus.Acked) == 3);
        await _journal.FlushAsync(Token);
        Assert.Equal(["m0", "m1", "m2"], _kit.Commits.SelectMany(c => c).Where(e => e.Kind == JournalEntryKind.OutboxRemoval).Select(e => e.Key).Order());
        Assert.Equal(0, _queue.Count);

        connection.End();
        await run.WaitAsync(Token);
    }

    [Fact]
    public async Task Accept_QueueFull_RefusedSynchronouslyAndNeverStored()
    {
        await using var small = new OutboundTests(capacity: 1);
        small._kit.Hold = new TaskCompletionSource();
        var first = small._queue.AcceptAsync(Chat("m0"), false, true, Unavailable, Token);

        // Thrown by the call itself, not through its task: an idempotent send remembers the task it got, and must not
        // remember a refusal that sent nothing (its retry has to try again).
        var refused = Assert.Throws<OutboundQueueFullException>(() => { _ = small._queue.AcceptAsync(Chat("m1"), false, true, Unavailable, Token); });

        Assert.True(refused.RetryAfter > TimeSpan.Zero);
        Assert.Null(small._delivery.Get("m1"));
        small._kit.Hold.SetResult();
        await first.WaitAsync(Token);
        Assert.DoesNotContain(small._kit.Commits.SelectMany(c => c), e => e.Outbox?.StanzaId == "m1");
    }

    [Fact]
    [Trait("Spec", "XEP-0198 §5")]
    public async Task Write_FailsBeforeAnythingIsCounted_PutBackAndWrittenFirstOnTheNextConnection()
    {
        var first = new FakeConnection();
        first.FailNextWrite(_ => new XmppConnectionException("lost before writing"));
        using (var context = new ConnectionContext(first, 1))
        {
            var run = _sender.RunAsync(context, Token);
            await _queue.AcceptAsync(Chat("m0"), false, true, Unavailable, Token);
            await _queue.AcceptAsync(Chat("m1"), false, true, Unavailable, Token);
            await run.WaitAsync(Token); // the failed write ends the sender's turn on this connection
            first.End();
        }

        await _queue.AcceptAsync(Chat("m2"), false, true, Unavailable, Token);
        var second = new FakeConnection();
        using var next = new ConnectionContext(second, 2);
        var again = _sender.RunAsync(next, Token);
        await WaitUntilAsync(() => second.Written.Count() >= 3);

        Assert.Equal(["m0", "m1", "m2"], second.Written.Select(s => s.Id));
        Assert.Empty(first.Written);
        second.End();
        await again.WaitAsync(Token);
    }

    [Fact]
    [Trait("Spec", "XEP-0198 §5")]
    public async Task Write_FailsAfterCounting_NeverWrittenAgainAndAckedWhenTheHandoffSettlesIt()
    {
        var first = new FakeConnection();
        IReadOnlyList<Task> pending = [];
        first.FailNextWrite(stanzas =>
        {
            pending = first.CountWithoutConfirming(stanzas);
            return new XmppConnectionException("lost midway", null, pending);
        });
        using (var context = new ConnectionContext(first, 1))
        {
            var run = _sender.RunAsync(context, Token);
            await _queue.AcceptAsync(Chat("m0"), false, true, Unavailable, Token);
            await run.WaitAsync(Token);
        }

        var second = new FakeConnection();
        using var next = new ConnectionContext(second, 2);
        var again = _sender.RunAsync(next, Token);
        await _queue.AcceptAsync(Chat("m1"), false, true, Unavailable, Token);
        await WaitUntilAsync(() => second.Written.Any());

        Assert.Equal(["m1"], second.Written.Select(s => s.Id)); // m0 travels with the handoff, not the queue
        first.Acknowledge(1); // the resumed stream's count covers it
        await WaitUntilAsync(() => _delivery.Get("m0")?.Status == DeliveryStatus.Acked);
        second.End();
        await again.WaitAsync(Token);
    }

    [Fact]
    public async Task Accept_TenantByteBudgetSpent_RefusedSynchronouslyAcrossSessionsUntilAcknowledged()
    {
        var size = Gateway.Xmpp.Protocol.StanzaSerializer.ToBytes(Chat("a0")).Length;
        var budget = new ByteBudget((2 * size) + (size / 2));
        var first = Queue("s1", budget);
        var second = Queue("s2", budget);
        await first.AcceptAsync(Chat("a0"), false, true, Unavailable, Token).WaitAsync(Token);
        await second.AcceptAsync(Chat("b0"), false, true, Unavailable, Token).WaitAsync(Token);

        // The tenant's two sessions together spent it: a third send, to either, is refused by the call itself.
        var refused = Assert.Throws<OutboundQueueFullException>(() => { _ = first.AcceptAsync(Chat("a1"), false, true, Unavailable, Token); });
        Assert.Throws<OutboundQueueFullException>(() => { _ = second.AcceptAsync(Chat("b1"), false, true, Unavailable, Token); });
        Assert.Contains("Gateway:Pool:MaxQueuedBytesPerTenant", refused.Message, StringComparison.Ordinal);
        Assert.True(refused.RetryAfter > TimeSpan.Zero);
        Assert.Equal(2 * size, budget.Used);

        // Written, the stanza still holds its bytes (it is in the outbox); acknowledged, it gives them back.
        var connection = new FakeConnection();
        using var context = new ConnectionContext(connection, 1);
        var run = new OutboundSender(first, TimeSpan.FromSeconds(1), "t", "s1", NullLogger.Instance).RunAsync(context, Token);
        await WaitUntilAsync(() => connection.Written.Count() == 1);
        Assert.Equal(2 * size, budget.Used);
        connection.Acknowledge(1);
        await WaitUntilAsync(() => budget.Used == size);
        await first.AcceptAsync(Chat("a2"), false, true, Unavailable, Token).WaitAsync(Token);

        connection.End();
        await run.WaitAsync(Token);
    }

    [Fact]
    public void Accept_StanzaLargerThanMaxStanzaBytes_RefusedSynchronouslyAndNeverStored()
    {
        var large = Chat("big") with { Body = new string('x', 5_000) };

        var refused = Assert.Throws<StanzaTooLargeException>(() => { _ = Queue("s1", budget: null, maxStanzaBytes: 4_096).AcceptAsync(large, false, true, Unavailable, Token); });

        Assert.Equal(4_096, refused.MaxBytes);
        Assert.True(refused.Size > 5_000);
        Assert.Null(_delivery.Get("big"));
        Assert.Empty(_kit.Commits);
    }

    private OutboundQueue Queue(string session, ByteBudget? budget, int maxStanzaBytes = 256 * 1024) =>
        new("t", session, new SessionPoolOptions { OutboundQueueCapacity = 100, MaxStanzaBytes = maxStanzaBytes }, _kit.Journal.Open("t", session, 0), _delivery, durable: true, () => null, () => TimeSpan.FromSeconds(1), TimeProvider.System, NullLogger.Instance, budget);

    [Fact]
    public async Task Drain_KeepForRestart_StaysInOutboxWithoutStatusChange()
    {
        _kit.Hold = null;
        await _queue.AcceptAsync(Chat("m0"), false, true, Unavailable, Token);

        await _queue.DrainAsync(new InvalidOperationException("stopping"), keep: true);
        await _journal.FlushAsync(Token);

        Assert.Equal(DeliveryStatus.Queued, _delivery.Get("m0")!.Status);
        Assert.DoesNotContain(_kit.Commits.SelectMany(c => c), e => e.Kind == JournalEntryKind.OutboxRemoval);
        await Assert.ThrowsAnyAsync<Exception>(() => _queue.AcceptAsync(Chat("m1"), false, true, Unavailable, Token));
    }

    [Fact]
    public async Task Drain_NotKept_FailedAndRemovedFromOutbox()
    {
        await _queue.AcceptAsync(Chat("m0"), false, true, Unavailable, Token);

        await _queue.DrainAsync(new InvalidOperationException("stopping"), keep: false);
        await _journal.FlushAsync(Token);

        Assert.Equal(DeliveryStatus.Failed, _delivery.Get("m0")!.Status);
        Assert.Equal("session-ended", _delivery.Get("m0")!.ErrorCondition);
        Assert.Contains(_kit.Commits.SelectMany(c => c), e => e.Kind == JournalEntryKind.OutboxRemoval && e.Key == "m0");
    }

    [Fact]
    public async Task Accept_ManySubmittedWithoutWaiting_EnterTheQueueInCallOrder()
    {
        // Store writes finish together and their continuations resume on the thread pool in any order.
        _kit.Hold = new TaskCompletionSource();
        var sends = Enumerable.Range(0, 100).Select(i => _queue.AcceptAsync(Chat($"m{i}"), false, true, Unavailable, Token)).ToArray();
        _kit.Hold.SetResult();
        await Task.WhenAll(sends).WaitAsync(Token);

        var queued = new List<string>();
        while (_queue.Items.TryRead(out var item))
        {
            queued.Add(item.Id);
        }

        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"m{i}"), queued);
    }

    [Fact]
    public async Task AcceptanceOrder_FinishedInReverse_EnterInTicketOrderAndGivenUpTicketsSkipped()
    {
        var order = new AcceptanceOrder();
        var tickets = Enumerable.Range(0, 4).Select(_ => order.Take()).ToArray();
        var entered = new List<string>();
        bool Enqueue(OutboundItem item)
        {
            entered.Add(item.Id);
            return true;
        }

        var last = order.FinishAsync(tickets[3], Item("d"), Enqueue);
        var third = order.FinishAsync(tickets[2], null, Enqueue); // gave up (e.g. its store write failed)
        var second = order.FinishAsync(tickets[1], Item("b"), Enqueue);
        Assert.Empty(entered);
        var first = order.FinishAsync(tickets[0], Item("a"), Enqueue);

        Assert.Equal(["a", "b", "d"], entered);
        Assert.True(await first && await second && await last);
        Assert.False(await third);
    }

    public async ValueTask DisposeAsync() => await _kit.DisposeAsync();

    private static OutboundItem Item(string id) => new(Chat(id), WaitForAck: false, Tracked: false, DateTimeOffset.UtcNow);

    private static SessionUnavailableException Unavailable() => new("s", SessionState.Stopped, "stopped");

    private static Message Chat(string id) => new() { Id = id, To = Jid.Parse("peer@example.com"), Type = MessageType.Chat, Body = "hello " + id };

    private static Task WaitUntilAsync(Func<bool> condition) => Eventually.WaitUntilAsync(condition);
}
