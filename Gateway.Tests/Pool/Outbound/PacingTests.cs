using Gateway.Tests.Fakes;
using Gateway.Tests.Pool.Journal;
using Gateway.Tests.Support;
using Gateway.Xmpp;
using Gateway.Xmpp.Client;
using Gateway.Xmpp.Pool;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Pool.Outbound;

/// <summary>
/// Flow control between caller, queue and server: the sender keeps at most a window of unacknowledged stanzas
/// (XEP-0198) on the wire, and a send to an online session whose queue is long waits for it to shrink.
/// </summary>
public sealed class PacingTests : IAsyncDisposable
{
    private readonly JournalTestKit _kit = new();
    private Gateway.Xmpp.Pool.Journal.SessionJournal? _journal;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Spec", "XEP-0198 §4")]
    public async Task Sender_WindowFull_AsksForAnAcknowledgementAndWritesMoreOnlyOnceTheServerConfirms()
    {
        var queue = Queue(new SessionPoolOptions { PacingQueueDepth = 0 });
        for (var i = 0; i < 10; i++)
        {
            await queue.AcceptAsync(Chat($"m{i}"), false, true, Unavailable, Token).WaitAsync(Token);
        }

        var connection = new FakeConnection();
        using var context = new ConnectionContext(connection, 1);
        var run = new OutboundSender(queue, TimeSpan.FromSeconds(1), "t", "s", NullLogger.Instance, window: 4).RunAsync(context, Token);

        // The request for an acknowledgement is what the sender does once the window is full, before it waits.
        await WaitUntilAsync(() => connection.AcknowledgementRequests >= 1);
        Assert.Equal(["m0", "m1", "m2", "m3"], connection.Written.Select(s => s.Id));

        connection.Acknowledge(4);
        await WaitUntilAsync(() => connection.Written.Count() == 8);
        await WaitUntilAsync(() => connection.AcknowledgementRequests >= 2);
        Assert.Equal(8, connection.Written.Count());

        connection.Acknowledge(4);
        await WaitUntilAsync(() => connection.Written.Count() == 10);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"m{i}"), connection.Written.Select(s => s.Id));
        connection.End();
        await run.WaitAsync(Token);
    }

    [Fact]
    public async Task Accept_OnlineQueueAtPacingDepth_WaitsUnstoredUntilTheSenderTakes()
    {
        var queue = Queue(new SessionPoolOptions { PacingQueueDepth = 2, PacingMaxWait = TimeSpan.FromMinutes(1) });
        queue.SetDraining(true);
        await queue.AcceptAsync(Chat("m0"), false, true, Unavailable, Token).WaitAsync(Token);
        await queue.AcceptAsync(Chat("m1"), false, true, Unavailable, Token).WaitAsync(Token);

        var third = queue.AcceptAsync(Chat("m2"), false, true, Unavailable, Token);

        Assert.False(third.IsCompleted);
        await FlushAsync();
        Assert.DoesNotContain(_kit.Commits.SelectMany(c => c), e => e.Outbox?.StanzaId == "m2");

        var taken = new List<OutboundItem>();
        queue.Take(taken, 1);
        await third.WaitAsync(Token);
        Assert.Contains(_kit.Commits.SelectMany(c => c), e => e.Outbox?.StanzaId == "m2");
    }

    [Fact]
    public async Task Accept_OfflineSession_NotPacedUpToTheCapacity()
    {
        var queue = Queue(new SessionPoolOptions { PacingQueueDepth = 2, PacingMaxWait = TimeSpan.FromMinutes(1), OutboundQueueCapacity = 5 });
        for (var i = 0; i < 5; i++)
        {
            await queue.AcceptAsync(Chat($"m{i}"), false, true, Unavailable, Token).WaitAsync(Token);
        }

        Assert.Equal(5, queue.Count);
        Assert.Throws<OutboundQueueFullException>(() => { _ = queue.AcceptAsync(Chat("m5"), false, true, Unavailable, Token); });
    }

    [Fact]
    public async Task Accept_PacedWhileTheSenderStops_AcceptedAtOnce()
    {
        var queue = Queue(new SessionPoolOptions { PacingQueueDepth = 1, PacingMaxWait = TimeSpan.FromMinutes(1) });
        queue.SetDraining(true);
        await queue.AcceptAsync(Chat("m0"), false, true, Unavailable, Token).WaitAsync(Token);
        var paced = queue.AcceptAsync(Chat("m1"), false, true, Unavailable, Token);
        Assert.False(paced.IsCompleted);

        queue.SetDraining(false); // the connection ended: the send is queued for the next one, not held

        await paced.WaitAsync(Token);
        Assert.Equal(2, queue.Count);
    }

    [Fact]
    public async Task Accept_PacedLongerThanTheLimit_AcceptedAnyway()
    {
        var queue = Queue(new SessionPoolOptions { PacingQueueDepth = 1, PacingMaxWait = TimeSpan.FromMilliseconds(50) });
        queue.SetDraining(true);
        await queue.AcceptAsync(Chat("m0"), false, true, Unavailable, Token).WaitAsync(Token);

        var paced = queue.AcceptAsync(Chat("m1"), false, true, Unavailable, Token);

        await paced.WaitAsync(Token);
        Assert.Equal(2, queue.Count);
    }

    [Fact]
    public async Task Accept_CallerGoesAwayWhilePaced_NothingStoredAndItsPlaceFreed()
    {
        var queue = Queue(new SessionPoolOptions { PacingQueueDepth = 1, PacingMaxWait = TimeSpan.FromMinutes(1) });
        queue.SetDraining(true);
        await queue.AcceptAsync(Chat("m0"), false, true, Unavailable, Token).WaitAsync(Token);
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var paced = queue.AcceptAsync(Chat("m1"), false, true, Unavailable, caller.Token);

        await caller.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => paced);
        Assert.Equal(1, queue.Count);
        await FlushAsync();
        Assert.DoesNotContain(_kit.Commits.SelectMany(c => c), e => e.Outbox?.StanzaId == "m1");
    }

    public async ValueTask DisposeAsync() => await _kit.DisposeAsync();

    private OutboundQueue Queue(SessionPoolOptions options)
    {
        var journal = _journal = _kit.Journal.Open("t", "s", 0);
        var delivery = new DeliveryTracker(new MessageStatusTracker(1_000, TimeProvider.System), journal, TimeProvider.System);
        return new OutboundQueue("t", "s", options, journal, delivery, durable: true, () => null, () => TimeSpan.FromSeconds(1), TimeProvider.System, NullLogger.Instance);
    }

    private Task FlushAsync() => _journal!.FlushAsync(Token);

    private static SessionUnavailableException Unavailable() => new("s", SessionState.Stopped, "stopped");

    private static Message Chat(string id) => new() { Id = id, To = Jid.Parse("peer@example.com"), Type = MessageType.Chat, Body = "hello " + id };

    private static Task WaitUntilAsync(Func<bool> condition) => Eventually.WaitUntilAsync(condition);
}
