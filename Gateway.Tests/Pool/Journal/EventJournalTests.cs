using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Journal;
using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Tests.Pool.Journal;

public sealed class EventJournalTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Publish_TwoSessions_IdsContiguousPerSessionInSubmitOrderAndDispatchedAfterCommit()
    {
        await using var kit = new JournalTestKit();
        var a = kit.Journal.Open("t", "a", lastEventId: 41);
        var b = kit.Journal.Open("t", "b", lastEventId: 0);

        for (var i = 0; i < 100; i++)
        {
            a.Publish(State("t", "a"));
            b.Publish(State("t", "b"));
        }

        await a.FlushAsync(Token);
        await b.FlushAsync(Token);

        Assert.Equal(Enumerable.Range(42, 100).Select(i => (long)i), kit.Dispatched.Where(e => e.SessionId == "a").Select(e => e.EventId));
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), kit.Dispatched.Where(e => e.SessionId == "b").Select(e => e.EventId));
        Assert.Equal(141, a.LastEventId);
        Assert.Equal(200, kit.Commits.Sum(c => c.Count));
    }

    [Fact]
    public async Task AddToOutbox_CompletesOnlyOnceCommitted()
    {
        await using var kit = new JournalTestKit { Hold = new TaskCompletionSource() };
        var session = kit.Journal.Open("t", "s", 0);

        var stored = session.AddToOutboxAsync(Entry("m1"), alongside: null);
        session.Publish(State("t", "s"));
        var flushed = session.FlushAsync(Token);

        Assert.False(stored.IsCompleted);
        Assert.False(flushed.IsCompleted);
        kit.Hold!.SetResult();
        await stored.WaitAsync(Token);
        await flushed.WaitAsync(Token);
        Assert.Equal(2, session.DurablePosition);
        Assert.Contains(kit.Commits.SelectMany(c => c), e => e.Kind == JournalEntryKind.OutboxAddition && e.Outbox!.StanzaId == "m1");
    }

    [Fact]
    public async Task Commit_StoreFailsOnce_OutboxAdditionRefusedEventsRetriedIdsContiguous()
    {
        await using var kit = new JournalTestKit();
        var session = kit.Journal.Open("t", "s", 0);
        kit.FailOnceWhen(e => e.Kind == JournalEntryKind.OutboxAddition);

        session.Publish(State("t", "s"));
        var refused = session.AddToOutboxAsync(Entry("m1"), alongside: State("t", "s"));
        session.Publish(State("t", "s"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => refused.WaitAsync(Token));
        await session.FlushAsync(Token);
        Assert.Equal([1L, 2, 3], kit.Dispatched.Select(e => e.EventId));
        Assert.DoesNotContain(kit.Commits.SelectMany(c => c), e => e.Kind == JournalEntryKind.OutboxAddition);
    }

    [Fact]
    public async Task WaitForCapacity_JournalFull_WaitsUntilACommitMakesRoom()
    {
        await using var kit = new JournalTestKit(capacity: 2) { Hold = new TaskCompletionSource() };
        var session = kit.Journal.Open("t", "s", 0);
        await session.WaitForCapacityAsync(Token);
        session.Publish(State("t", "s"), reserved: true);
        await session.WaitForCapacityAsync(Token);
        session.Publish(State("t", "s"), reserved: true);

        var third = session.WaitForCapacityAsync(Token).AsTask();
        var flushed = session.FlushAsync(Token);
        await Task.WhenAny(third, Task.Delay(200, Token)); // give the writer every chance to (wrongly) let it through

        Assert.False(third.IsCompleted);
        kit.Hold!.SetResult();
        await third.WaitAsync(Token);
        await flushed.WaitAsync(Token);
    }

    [Fact]
    public async Task Durable_CallbackReportsEachSessionsLastCommittedPosition()
    {
        await using var kit = new JournalTestKit();
        var session = kit.Journal.Open("t", "s", 0);
        var reported = new List<long>();
        session.Durable = reported.Add;

        session.Publish(State("t", "s"));
        session.RemoveFromOutbox("m0");
        session.AdvanceArchiveCursor("arc-1");
        await session.FlushAsync(Token);

        Assert.Equal(3, reported.Max());
        Assert.Equal(3, session.DurablePosition);
    }

    [Fact]
    public async Task Dispose_CommitsWhatIsQueuedThenRefusesMore()
    {
        var kit = new JournalTestKit();
        var session = kit.Journal.Open("t", "s", 0);
        session.Publish(State("t", "s"));

        await kit.DisposeAsync();
        var refused = session.AddToOutboxAsync(Entry("late"), alongside: null);

        Assert.Single(kit.Dispatched);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => refused);
    }

    private static SessionStateChanged State(string tenant, string session) =>
        new(tenant, session, 0, DateTimeOffset.UtcNow, SessionState.Online, null, null);

    private static OutboxEntry Entry(string id) =>
        new("t", "s", new Message { Id = id, To = Jid.Parse("peer@example.com"), Body = "b" }, WaitForAck: false, DateTimeOffset.UtcNow);
}
