using Gateway.Api.Events;
using Gateway.Api.Hubs;
using Gateway.Tests.Api.Hubs;
using Gateway.Xmpp.Pool;
using EventBuilder = Gateway.Tests.Api.Hubs.Events;

namespace Gateway.Tests.Api.Events;

/// <summary>The transport-agnostic replay-then-live cursor, driven directly (no HTTP).</summary>
[Trait("Tier", "Unit")]
public sealed class EventCursorTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private readonly FakeEventPool _pool = new();

    private EventCursor<string> Cursor(long after, int queueEvents = 10, long queueBytes = 1_000) =>
        new(_pool, "t1", "s1", after, new EventCursorLimits(queueEvents, queueBytes, PageSize: 2, PageBytes: 1_000), e => ($"e{e.EventId}", 10));

    private MessageReceived Journal(long id)
    {
        var e = EventBuilder.Message("t1", "s1", id);
        _pool.Journal(e);
        return e;
    }

    private static async Task<long> NextIdAsync(EventCursor<string> cursor)
    {
        var step = await cursor.NextAsync(Token).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Token);
        Assert.Null(step.EndReason);
        return step.Event!.EventId;
    }

    /// <summary>Reads the log until the cursor turns live (its next step has to wait for a live event).</summary>
    private static async Task<ValueTask<CursorStep<string>>> PendingLiveAsync(EventCursor<string> cursor)
    {
        var next = cursor.NextAsync(Token);
        Assert.False(next.IsCompleted, "the cursor should wait for live events");
        await Task.Yield();
        return next;
    }

    [Fact]
    public async Task NextAsync_ReplaysPagesThenLive_EventInBothDeliveredOnce()
    {
        for (var id = 1; id <= 5; id++)
        {
            Journal(id);
        }

        var cursor = Cursor(after: 1);
        var replayed = new List<long>();
        for (var i = 0; i < 4; i++)
        {
            replayed.Add(await NextIdAsync(cursor));
        }

        Assert.Equal([2L, 3L, 4L, 5L], replayed);
        var pending = await PendingLiveAsync(cursor);

        // 5 comes live as well (it was handed out around the switch), then 6.
        cursor.Offer(EventBuilder.Message("t1", "s1", 5), "e5", 10);
        var six = Journal(6);
        cursor.Offer(six, "e6", 10);

        Assert.Equal(6, (await pending).Event!.EventId);
        Assert.Equal(6, cursor.LastDeliveredEventId);
    }

    [Fact]
    public async Task Offer_WhileReplaying_IsIgnored()
    {
        Journal(1);
        var cursor = Cursor(after: 0);

        Assert.True(cursor.Offer(EventBuilder.Message("t1", "s1", 1), "e1", 10));

        Assert.Equal(1, await NextIdAsync(cursor));
        await PendingLiveAsync(cursor);
    }

    [Theory]
    [InlineData(2, 1_000)]
    [InlineData(100, 15)]
    public async Task Offer_BeyondTheQueuesBounds_EndsSlowConsumerAndDropsTheQueue(int queueEvents, long queueBytes)
    {
        var cursor = Cursor(after: 0, queueEvents, queueBytes);
        var pending = await PendingLiveAsync(cursor);

        // The waiting consumer takes at most the first; the rest pile up (events of 10 bytes each).
        var accepted = Enumerable.Range(1, 4).Select(id => cursor.Offer(Journal(id), $"e{id}", 10)).ToList();

        Assert.Contains(false, accepted);
        Assert.True(cursor.IsEnded);
        var first = await pending;
        var last = first.Event is null ? first : await cursor.NextAsync(Token);
        Assert.Equal(SubscriptionEndReasons.SlowConsumer, last.EndReason);
        Assert.Equal(first.Event?.EventId ?? 0, cursor.LastDeliveredEventId);
    }

    [Fact]
    public async Task End_WhileWaiting_ReportsTheReasonOnce()
    {
        var cursor = Cursor(after: 0);
        var pending = await PendingLiveAsync(cursor);

        cursor.End(SubscriptionEndReasons.KeyRevoked);
        cursor.End(SubscriptionEndReasons.ShuttingDown);

        Assert.Equal(SubscriptionEndReasons.KeyRevoked, (await pending).EndReason);
    }
}
