using Gateway.Api.Persistence;
using Gateway.Api.Persistence.Sqlite;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;
using static Gateway.Tests.Persistence.PersistenceTestKit;

namespace Gateway.Tests.Persistence;

/// <summary>
/// What every <see cref="IPoolStore"/> does, <see cref="InMemoryPoolStore"/> being the reference: each implementation
/// runs these cases through a subclass.
/// </summary>
[Trait("Tier", "Unit")]
public abstract partial class PoolStoreContractTests : IAsyncLifetime
{
    private IPoolStore? _store;

    protected IPoolStore Store => _store ?? throw new InvalidOperationException("Not initialised.");

    public async ValueTask InitializeAsync() => _store = await CreateAsync();

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    protected abstract ValueTask<IPoolStore> CreateAsync();

    // ---- Events ----

    [Fact]
    public async Task ReadAsync_UnknownSession_EmptyPageWithoutGap()
    {
        var page = await Store.ReadAsync("t", "s", 0, 10);

        Assert.Empty(page.Events);
        Assert.Equal(0, page.OldestAvailableEventId);
        Assert.Equal(0, page.LastEventId);
        Assert.False(page.Gap);
        Assert.Equal(new JournalHead(0, null), await Store.GetHeadAsync("t", "s", Token));
    }

    [Fact]
    public async Task CommitAsync_EveryKind_ReadsBackInOrderWithSameContent()
    {
        var events = Events("t", "s", 1, 12);
        await Store.CommitEventsAsync(events[..4]);
        await Store.CommitEventsAsync(events[4..]);

        var page = await Store.ReadAsync("t", "s", 0, 100);

        AssertSameEvents(events, page.Events);
        Assert.Equal(1, page.OldestAvailableEventId);
        Assert.Equal(12, page.LastEventId);
        Assert.False(page.Gap);
        Assert.Equal(12, await Store.LastEventIdAsync("t", "s"));
    }

    [Fact]
    public async Task ReadAsync_ReceivedMessage_KeepsItsArchiveId()
    {
        var message = new Message { From = Jid.Parse("bob@example.com/phone"), Body = "hi" };
        await Store.CommitEventsAsync(
        [
            new MessageReceived("t", "s", 1, DateTimeOffset.UnixEpoch, message) { ArchiveId = "a-1" },
            new MessageReceived("t", "s", 2, DateTimeOffset.UnixEpoch, message),
        ]);

        var page = await Store.ReadAsync("t", "s", 0, 10);

        Assert.Equal(["a-1", null], page.Events.Cast<MessageReceived>().Select(e => e.ArchiveId));
    }

    [Fact]
    public async Task CommitAsync_EmptyBatch_ChangesNothing()
    {
        await Store.CommitAsync(new JournalBatch(), Token);

        Assert.Equal(new JournalHead(0, null), await Store.GetHeadAsync("t", "s", Token));
    }

    [Fact]
    public async Task CommitAsync_SameBatchTwice_StoredOnce()
    {
        var batch = new JournalBatch();
        batch.Events.AddRange(Events("t", "s", 1, 3));
        batch.OutboxAdditions.Add(OutboxEntry("t", "s", "m-1"));

        await Store.CommitAsync(batch, Token);
        await Store.CommitAsync(batch, Token);

        AssertSameEvents(Events("t", "s", 1, 3), (await Store.ReadAsync("t", "s", 0, 100)).Events);
        Assert.Equal(["m-1"], (await Store.LoadAsync("t", "s", Token)).Select(e => e.StanzaId));
    }

    [Fact]
    public async Task CommitAsync_BatchClearedAndReusedAfterCommit_FirstContentKept()
    {
        var batch = new JournalBatch();
        batch.Events.AddRange(Events("t", "s", 1, 2));
        batch.OutboxAdditions.Add(OutboxEntry("t", "s", "m-1"));
        await Store.CommitAsync(batch, Token);

        batch.Clear();
        Assert.True(batch.IsEmpty);
        batch.Events.Add(Event("t", "s", 3));
        await Store.CommitAsync(batch, Token);

        Assert.Equal([1L, 2, 3], (await Store.ReadAsync("t", "s", 0, 100)).Events.Select(e => e.EventId));
        Assert.Single(await Store.LoadAsync("t", "s", Token));
    }

    [Theory]
    [InlineData(0, 1, 10)]
    [InlineData(4, 5, 10)]
    [InlineData(9, 10, 10)]
    public async Task ReadAsync_AfterEventId_ReturnsOnlyNewerEvents(long afterEventId, long first, long last)
    {
        await Store.CommitEventsAsync(Events("t", "s", 1, 10));

        var page = await Store.ReadAsync("t", "s", afterEventId, 100);

        Assert.Equal(Enumerable.Range((int)first, (int)(last - first + 1)).Select(i => (long)i), page.Events.Select(e => e.EventId));
        Assert.False(page.Gap);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(25)]
    public async Task ReadAsync_AtOrPastLastEventId_EmptyWithoutGap(long afterEventId)
    {
        await Store.CommitEventsAsync(Events("t", "s", 1, 10));

        var page = await Store.ReadAsync("t", "s", afterEventId, 100);

        Assert.Empty(page.Events);
        Assert.Equal(1, page.OldestAvailableEventId);
        Assert.Equal(10, page.LastEventId);
        Assert.False(page.Gap);
    }

    [Fact]
    public async Task ReadAsync_Limit_PagesOldestFirst()
    {
        await Store.CommitEventsAsync(Events("t", "s", 1, 10));

        var first = await Store.ReadAsync("t", "s", 0, 4);
        var second = await Store.ReadAsync("t", "s", first.Events[^1].EventId, 4);
        var third = await Store.ReadAsync("t", "s", second.Events[^1].EventId, 4);

        Assert.Equal([1L, 2, 3, 4], first.Events.Select(e => e.EventId));
        Assert.Equal([5L, 6, 7, 8], second.Events.Select(e => e.EventId));
        Assert.Equal([9L, 10], third.Events.Select(e => e.EventId));
        Assert.All([first, second, third], p => Assert.Equal(10, p.LastEventId));
    }

    [Fact]
    public async Task ReadAsync_LimitZero_NoEventsButBounds()
    {
        await Store.CommitEventsAsync(Events("t", "s", 1, 3));

        var page = await Store.ReadAsync("t", "s", 0, 0);

        Assert.Empty(page.Events);
        Assert.Equal(1, page.OldestAvailableEventId);
        Assert.Equal(3, page.LastEventId);
    }

    [Fact]
    public async Task ReadAsync_MaxBytesBelowOneEvent_StillOneEventPerPage()
    {
        await Store.CommitEventsAsync(Events("t", "s", 1, 3));

        var first = await Store.ReadAsync("t", "s", 0, 100, maxBytes: 1, Token);
        var second = await Store.ReadAsync("t", "s", 1, 100, maxBytes: 1, Token);

        Assert.Equal([1L], first.Events.Select(e => e.EventId));
        Assert.Equal([2L], second.Events.Select(e => e.EventId));
        Assert.Equal(3, first.LastEventId);
    }

    [Fact]
    public async Task ReadAsync_MaxBytes_BoundsPagesThatTogetherHoldEveryEventOnce()
    {
        // Messages of about 5 KB: a 16 KB bound takes a few of them, not all forty.
        var events = Enumerable.Range(1, 40)
            .Select(i => (SessionEvent)new MessageReceived("t", "s", i, T0, new Message { From = Jid.Parse("bob@example.net/x"), Id = $"m{i}", Body = new string('x', 5_000) }))
            .ToArray();
        await Store.CommitEventsAsync(events);

        var pages = new List<EventPage>();
        long after = 0;
        while (pages.Count < 50)
        {
            var page = await Store.ReadAsync("t", "s", after, 100, maxBytes: 16 * 1024, Token);
            if (page.Events.Count == 0)
            {
                break;
            }

            pages.Add(page);
            after = page.Events[^1].EventId;
        }

        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), pages.SelectMany(p => p.Events).Select(e => e.EventId));
        Assert.All(pages, p => Assert.InRange(p.Events.Count, 1, 4));
        Assert.Contains(pages, p => p.Events.Count > 1);
        Assert.Equal(40, (await Store.ReadAsync("t", "s", 0, 100, maxBytes: long.MaxValue, Token)).Events.Count);
    }

    [Fact]
    public async Task TrimAsync_ByCount_KeepsNewestAndReportsGapBeforeThem()
    {
        await Store.CommitEventsAsync(Events("t", "s", 1, 10));
        await Store.CommitEventsAsync(Events("t", "other", 1, 3));

        await Store.TrimAsync(4, DateTimeOffset.MinValue, Token);

        var fromStart = await Store.ReadAsync("t", "s", 0, 100);
        Assert.Equal([7L, 8, 9, 10], fromStart.Events.Select(e => e.EventId));
        Assert.Equal(7, fromStart.OldestAvailableEventId);
        Assert.Equal(10, fromStart.LastEventId);
        Assert.True(fromStart.Gap);
        Assert.True((await Store.ReadAsync("t", "s", 5, 100)).Gap);
        Assert.False((await Store.ReadAsync("t", "s", 6, 100)).Gap);
        Assert.Equal(3, (await Store.ReadAsync("t", "other", 0, 100)).Events.Count);
    }

    [Fact]
    public async Task TrimAsync_ByCount_BacklogOfSeveralDeleteChunks_KeepsExactlyTheNewest()
    {
        // More than two of the SQL stores' delete chunks (2,000 ids each, so appends never wait behind one long delete),
        // with the last one partial.
        await Store.CommitEventsAsync(Events("t", "s", 1, 4_500));

        await Store.TrimAsync(100, DateTimeOffset.MinValue, Token);

        var kept = await Store.ReadAsync("t", "s", 0, 1_000);
        Assert.Equal(Enumerable.Range(4_401, 100).Select(i => (long)i), kept.Events.Select(e => e.EventId));
        Assert.Equal(4_500, kept.LastEventId);
        Assert.True(kept.Gap);
    }

    [Fact]
    public async Task TrimToBytesAsync_OverTheBytes_KeepsNewestWithinThemAndReportsGapBeforeThem()
    {
        // Messages of about 5 KB (more once sealed): a 16 KiB bound keeps the newest two or three, whatever the
        // store's measure, and another session's events are its own.
        await Store.CommitEventsAsync(LargeMessages("s", 40));
        await Store.CommitEventsAsync(LargeMessages("other", 2));

        await Store.TrimToBytesAsync(16 * 1024, Token);

        var fromStart = await Store.ReadAsync("t", "s", 0, 100, maxBytes: long.MaxValue, Token);
        var kept = fromStart.Events.Select(e => e.EventId).ToArray();
        Assert.InRange(kept.Length, 2, 3);
        Assert.Equal(Enumerable.Range(41 - kept.Length, kept.Length).Select(i => (long)i), kept);
        Assert.Equal(kept[0], fromStart.OldestAvailableEventId);
        Assert.Equal(40, fromStart.LastEventId);
        Assert.True(fromStart.Gap);
        Assert.False((await Store.ReadAsync("t", "s", kept[0] - 1, 100)).Gap);
        Assert.Equal(2, (await Store.ReadAsync("t", "other", 0, 100)).Events.Count);
        Assert.Equal(40, (await Store.GetHeadAsync("t", "s", Token)).LastEventId);
    }

    [Fact]
    public async Task TrimToBytesAsync_WithinTheBytes_KeepsAll()
    {
        await Store.CommitEventsAsync(LargeMessages("s", 3));

        await Store.TrimToBytesAsync(1024 * 1024, Token);

        var page = await Store.ReadAsync("t", "s", 0, 100);
        Assert.Equal(3, page.Events.Count);
        Assert.False(page.Gap);
    }

    [Fact]
    public async Task TrimToBytesAsync_NewestAloneLargerThanTheBytes_NewestKept()
    {
        await Store.CommitEventsAsync(LargeMessages("s", 3));

        await Store.TrimToBytesAsync(1_000, Token);

        var page = await Store.ReadAsync("t", "s", 0, 100);
        Assert.Equal([3L], page.Events.Select(e => e.EventId));
        Assert.True(page.Gap);
    }

    private static SessionEvent[] LargeMessages(string session, int count) =>
        [.. Enumerable.Range(1, count).Select(i => (SessionEvent)new MessageReceived("t", session, i, T0, new Message { From = Jid.Parse("bob@example.net/x"), Id = $"m{i}", Body = new string('x', 5_000) }))];

    [Fact]
    public async Task TrimAsync_AtExactlyTheCount_KeepsAll()
    {
        await Store.CommitEventsAsync(Events("t", "s", 1, 5));

        await Store.TrimAsync(5, DateTimeOffset.MinValue, Token);

        var page = await Store.ReadAsync("t", "s", 0, 100);
        Assert.Equal(5, page.Events.Count);
        Assert.False(page.Gap);
    }

    [Fact]
    public async Task TrimAsync_ByAge_DropsOlderAndReportsGap()
    {
        // Event n was received at T0 + n minutes.
        await Store.CommitEventsAsync(Events("t", "s", 1, 6));

        await Store.TrimAsync(1_000, T0.AddMinutes(4), Token);

        var page = await Store.ReadAsync("t", "s", 0, 100);
        Assert.Equal([4L, 5, 6], page.Events.Select(e => e.EventId));
        Assert.Equal(4, page.OldestAvailableEventId);
        Assert.True(page.Gap);
        Assert.True((await Store.ReadAsync("t", "s", 2, 100)).Gap);
        Assert.False((await Store.ReadAsync("t", "s", 3, 100)).Gap);
    }

    [Fact]
    public async Task TrimAsync_ByAge_BacklogOfSeveralDeleteChunks_KeepsExactlyTheNewer()
    {
        // Event n received at T0 + n minutes; more than two of the SQL stores' delete chunks (2,000 rows) are older.
        await Store.CommitEventsAsync(Events("t", "s", 1, 4_510));

        await Store.TrimAsync(1_000_000, T0.AddMinutes(4_501), Token);

        var page = await Store.ReadAsync("t", "s", 0, 100);
        Assert.Equal(Enumerable.Range(4_501, 10).Select(i => (long)i), page.Events.Select(e => e.EventId));
        Assert.True(page.Gap);
    }

    [Fact]
    public async Task TrimAsync_ByAge_OlderEventsCommittedAfterANewerOne_AllGo()
    {
        // The first event committed is stamped after all the rest (a clock that stepped back): a trim that looks at
        // the oldest rows in commit order finds it in its first chunk, beside 1,999 older ones, and must go on past it.
        await Store.CommitEventsAsync([Event("t", "s", 1, T0.AddDays(30))]);
        await Store.CommitEventsAsync([.. Enumerable.Range(2, 4_500).Select(i => Event("t", "s", i, T0.AddMinutes(i)))]);

        await Store.TrimAsync(1_000_000, T0.AddDays(4), Token);

        var page = await Store.ReadAsync("t", "s", 0, 100);
        Assert.Equal([1L], page.Events.Select(e => e.EventId));
        Assert.Equal(4_501, page.LastEventId);
    }

    [Fact]
    public async Task TrimAsync_EveryEvent_HeadSurvivesAndNumberingContinues()
    {
        var batch = new JournalBatch();
        batch.Events.AddRange(Events("t", "s", 1, 5));
        batch.ArchiveCursors.Add(new ArchiveCursor("t", "s", "archive-5"));
        await Store.CommitAsync(batch, Token);

        await Store.TrimAsync(0, DateTimeOffset.MaxValue, Token);

        Assert.Equal(new JournalHead(5, "archive-5"), await Store.GetHeadAsync("t", "s", Token));
        var behind = await Store.ReadAsync("t", "s", 2, 100);
        Assert.Empty(behind.Events);
        Assert.Equal(0, behind.OldestAvailableEventId);
        Assert.Equal(5, behind.LastEventId);
        Assert.True(behind.Gap);
        Assert.False((await Store.ReadAsync("t", "s", 5, 100)).Gap);

        await Store.CommitEventsAsync([Event("t", "s", 6)]);
        var after = await Store.ReadAsync("t", "s", 5, 100);
        Assert.Equal([6L], after.Events.Select(e => e.EventId));
        Assert.False(after.Gap);
        Assert.Equal(6, after.LastEventId);
    }

    [Fact]
    public async Task ReadAsync_SameSessionIdInAnotherTenant_Isolated()
    {
        await Store.CommitEventsAsync(Events("tenant-a", "s", 1, 3));
        await Store.CommitEventsAsync(Events("tenant-b", "s", 1, 7));

        var a = await Store.ReadAsync("tenant-a", "s", 0, 100);
        var b = await Store.ReadAsync("tenant-b", "s", 0, 100);

        Assert.All(a.Events, e => Assert.Equal("tenant-a", e.Tenant));
        Assert.Equal(3, a.Events.Count);
        Assert.Equal(3, a.LastEventId);
        Assert.Equal(7, b.Events.Count);
        Assert.Equal(0, await Store.LastEventIdAsync("tenant-c", "s"));
    }

    [Fact]
    public async Task FindMessageStatusAsync_SeveralChanges_NewestOfThatMessageOnly()
    {
        await Store.CommitEventsAsync([
            StatusEvent("t", "s", 1, "m-1", DeliveryStatus.Acked),
            StatusEvent("t", "s", 2, "m-2", DeliveryStatus.Acked),
            Event("t", "s", 3),
            StatusEvent("t", "s", 4, "m-1", DeliveryStatus.Delivered),
            StatusEvent("t", "s", 5, "m-2", DeliveryStatus.Failed),
        ]);
        await Store.CommitEventsAsync([StatusEvent("other-tenant", "s", 1, "m-3", DeliveryStatus.Acked)]);

        var found = await Store.FindMessageStatusAsync("t", "s", "m-1", Token);

        var expected = StatusEvent("t", "s", 4, "m-1", DeliveryStatus.Delivered).Status;
        Assert.NotNull(found);
        // Status times are stored to the millisecond (SessionEventCodec).
        Assert.Equal(
            (expected.MessageId, expected.To, expected.Status, expected.QueuedAt.ToUnixTimeMilliseconds(), expected.UpdatedAt.ToUnixTimeMilliseconds()),
            (found.MessageId, found.To, found.Status, found.QueuedAt.ToUnixTimeMilliseconds(), found.UpdatedAt.ToUnixTimeMilliseconds()));
        Assert.Equal(DeliveryStatus.Failed, (await Store.FindMessageStatusAsync("t", "s", "m-2", Token))?.Status);
        Assert.Null(await Store.FindMessageStatusAsync("t", "s", "m-3", Token));
        Assert.Null(await Store.FindMessageStatusAsync("t", "other-session", "m-1", Token));
        Assert.Null(await Store.FindMessageStatusAsync("t", "s", "sent-3", Token)); // event 3 is no status event
    }

    [Fact]
    public async Task HasReceivedMessageAsync_ByArchiveIdOfReceivedMessagesOnly()
    {
        var received = (MessageReceived)Event("t", "s", 6);
        await Store.CommitEventsAsync([received with { ArchiveId = "arc-1" }, StatusEvent("t", "s", 7, "arc-2", DeliveryStatus.Acked)]);

        Assert.True(await Store.HasReceivedMessageAsync("t", "s", "arc-1", Token));
        Assert.False(await Store.HasReceivedMessageAsync("t", "s", "arc-2", Token)); // a status event's message id is no archive id
        Assert.False(await Store.HasReceivedMessageAsync("t", "other-session", "arc-1", Token));
        Assert.Null(await Store.FindMessageStatusAsync("t", "s", "arc-1", Token)); // and the other way round
    }

    [Fact]
    public async Task FindMessageStatusAsync_TrimmedAway_Null()
    {
        await Store.CommitEventsAsync([StatusEvent("t", "s", 1, "m-1", DeliveryStatus.Acked), Event("t", "s", 2)]);

        await Store.TrimAsync(maxEventsPerSession: 1, DateTimeOffset.MinValue, Token);

        Assert.Null(await Store.FindMessageStatusAsync("t", "s", "m-1", Token));
    }

    [Fact]
    public async Task CommitAsync_ConcurrentCallers_EveryEventStoredInOrder()
    {
        const int Sessions = 8;
        const int Batches = 25;
        const int BatchSize = 20;

        await Task.WhenAll(Enumerable.Range(0, Sessions).Select(s => Task.Run(
            async () =>
            {
                for (var b = 0; b < Batches; b++)
                {
                    var batch = new JournalBatch();
                    batch.Events.AddRange(Events("t", $"s{s}", (b * BatchSize) + 1, (b + 1) * BatchSize));
                    batch.OutboxAdditions.Add(OutboxEntry("t", $"s{s}", $"m{b}"));
                    if (b > 0)
                    {
                        batch.OutboxRemovals.Add(new OutboxKey("t", $"s{s}", $"m{b - 1}"));
                    }

                    await Store.CommitAsync(batch, Token);
                }
            },
            Token)));

        for (var s = 0; s < Sessions; s++)
        {
            var page = await Store.ReadAsync("t", $"s{s}", 0, 10_000);
            Assert.Equal(Enumerable.Range(1, Batches * BatchSize).Select(i => (long)i), page.Events.Select(e => e.EventId));
            Assert.Equal(Batches * BatchSize, page.LastEventId);
            Assert.Equal([$"m{Batches - 1}"], (await Store.LoadAsync("t", $"s{s}", Token)).Select(e => e.StanzaId));
        }
    }

    [Fact]
    public async Task CommitAsync_CanceledBeforehand_ThrowsAndStoresNothing()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Token);
        await cts.CancelAsync();
        var batch = new JournalBatch();
        batch.Events.AddRange(Events("t", "s", 1, 3));
        batch.OutboxAdditions.Add(OutboxEntry("t", "s", "m-1"));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.CommitAsync(batch, cts.Token));

        Assert.Equal(0, await Store.LastEventIdAsync("t", "s"));
        Assert.Empty(await Store.LoadAsync("t", "s", Token));
    }

    // ---- Journal head and archive cursor ----

    [Fact]
    public async Task GetHeadAsync_CursorsInOneBatch_LastOneWinsPerSession()
    {
        var batch = new JournalBatch();
        batch.Events.AddRange(Events("t", "s", 1, 3));
        batch.ArchiveCursors.Add(new ArchiveCursor("t", "s", "a-1"));
        batch.ArchiveCursors.Add(new ArchiveCursor("t", "other", "o-1"));
        batch.ArchiveCursors.Add(new ArchiveCursor("t", "s", "a-2"));

        await Store.CommitAsync(batch, Token);

        Assert.Equal(new JournalHead(3, "a-2"), await Store.GetHeadAsync("t", "s", Token));
        Assert.Equal(new JournalHead(0, "o-1"), await Store.GetHeadAsync("t", "other", Token));
        Assert.Equal(new JournalHead(0, null), await Store.GetHeadAsync("u", "s", Token));
    }

    [Fact]
    public async Task GetHeadAsync_LaterBatches_EventsKeepCursorAndCursorKeepsLastId()
    {
        var cursorOnly = new JournalBatch();
        cursorOnly.ArchiveCursors.Add(new ArchiveCursor("t", "s", "a-1"));
        await Store.CommitEventsAsync(Events("t", "s", 1, 4));
        await Store.CommitAsync(cursorOnly, Token);
        Assert.Equal(new JournalHead(4, "a-1"), await Store.GetHeadAsync("t", "s", Token));

        await Store.CommitEventsAsync(Events("t", "s", 5, 6));
        Assert.Equal(new JournalHead(6, "a-1"), await Store.GetHeadAsync("t", "s", Token));

        // An older event committed again (a retried batch) does not move the head back.
        await Store.CommitEventsAsync([Event("t", "s", 2)]);
        Assert.Equal(new JournalHead(6, "a-1"), await Store.GetHeadAsync("t", "s", Token));
    }

    // ---- Outbox ----

    [Fact]
    public async Task LoadAsync_AcceptanceOrderAcrossBatches_RemovedOnesGone_EntryReadsBackEqual()
    {
        await Store.CommitOutboxAsync([OutboxEntry("t", "s", "m-3", archiveCursor: "a-7")]);
        await Store.CommitOutboxAsync([OutboxEntry("t", "s", "m-1", waitForAck: true), OutboxEntry("t", "s", "m-2")]);
        await Store.CommitOutboxAsync([], [new OutboxKey("t", "s", "m-1"), new OutboxKey("t", "s", "never-added")]);

        var entries = await Store.LoadAsync("t", "s", Token);

        Assert.Equal(["m-3", "m-2"], entries.Select(e => e.StanzaId));
        var first = Assert.IsType<Message>(entries[0].Stanza);
        Assert.Equal("body of m-3 <&> ünïcode", first.Body);
        Assert.Equal(Jid.Parse("bob@example.org"), first.To);
        Assert.Equal("m-3", (string?)first.FindPayload(System.Xml.Linq.XName.Get("origin-id", "urn:xmpp:sid:0"))?.Attribute("id"));
        Assert.Equal(T0.UtcTicks, entries[0].AcceptedAt.UtcTicks);
        Assert.Equal("a-7", entries[0].ArchiveCursor);
        Assert.Null(entries[1].ArchiveCursor);
        Assert.False(entries[1].WaitForAck);
        Assert.Equal(("t", "s"), (entries[0].Tenant, entries[0].SessionId));
    }

    [Fact]
    public async Task CommitAsync_AdditionAndRemovalOfOneStanzaInOneBatch_AdditionFirstSoItIsGone()
    {
        await Store.CommitOutboxAsync([OutboxEntry("t", "s", "m-1"), OutboxEntry("t", "s", "m-2")], [new OutboxKey("t", "s", "m-1")]);

        Assert.Equal(["m-2"], (await Store.LoadAsync("t", "s", Token)).Select(e => e.StanzaId));
    }

    [Fact]
    public async Task CommitAsync_SameStanzaIdTwice_FirstKept()
    {
        await Store.CommitOutboxAsync([OutboxEntry("t", "s", "m-1")]);
        await Store.CommitOutboxAsync([OutboxEntry("t", "s", "m-1", waitForAck: true) with { Stanza = new Message { Id = "m-1", Body = "second" } }]);

        var entry = Assert.Single(await Store.LoadAsync("t", "s", Token));
        Assert.Equal("body of m-1 <&> ünïcode", ((Message)entry.Stanza).Body);
        Assert.False(entry.WaitForAck);
    }

    [Fact]
    public async Task LoadAsync_OtherSessionsAndTenants_Isolated()
    {
        await Store.CommitOutboxAsync([OutboxEntry("t", "a", "m-1"), OutboxEntry("t", "b", "m-1"), OutboxEntry("u", "a", "m-2")]);

        Assert.Equal(["m-1"], (await Store.LoadAsync("t", "a", Token)).Select(e => e.StanzaId));
        Assert.Equal(["m-2"], (await Store.LoadAsync("u", "a", Token)).Select(e => e.StanzaId));
        Assert.Empty(await Store.LoadAsync("u", "b", Token));
    }

    // ---- Sessions ----

    [Fact]
    public async Task DeleteSessionDataAsync_ForgetsEventsHeadCursorAndOutbox_OnlyOfThatSession_KeepsSpec()
    {
        var spec = new SessionSpec { Jid = Jid.Parse("a@example.com"), Password = "p" };
        await Store.SaveAsync(new StoredSession("t", "s", spec, T0), Token);
        var batch = new JournalBatch();
        batch.Events.AddRange([.. Events("t", "s", 1, 4), .. Events("t", "kept", 1, 2), .. Events("u", "s", 1, 2)]);
        batch.ArchiveCursors.Add(new ArchiveCursor("t", "s", "a-1"));
        batch.ArchiveCursors.Add(new ArchiveCursor("t", "kept", "k-1"));
        batch.OutboxAdditions.AddRange([OutboxEntry("t", "s", "m-1"), OutboxEntry("t", "kept", "m-1")]);
        await Store.CommitAsync(batch, Token);

        await Store.DeleteSessionDataAsync("t", "s", Token);
        await Store.DeleteSessionDataAsync("t", "never-existed", Token);

        var deleted = await Store.ReadAsync("t", "s", 0, 100);
        Assert.Empty(deleted.Events);
        Assert.Equal(0, deleted.LastEventId);
        Assert.False(deleted.Gap);
        Assert.Equal(new JournalHead(0, null), await Store.GetHeadAsync("t", "s", Token));
        Assert.Empty(await Store.LoadAsync("t", "s", Token));
        Assert.Equal(new JournalHead(2, "k-1"), await Store.GetHeadAsync("t", "kept", Token));
        Assert.Single(await Store.LoadAsync("t", "kept", Token));
        Assert.Equal(2, (await Store.ReadAsync("u", "s", 0, 100)).Events.Count);
        Assert.Equal("s", Assert.Single(await Store.LoadAllAsync(Token)).Id);
    }

    [Fact]
    public async Task FindAsync_ReadsOneSessionByTenantAndId_NullWhenUnknownOrOtherTenant()
    {
        var created = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        await Store.SaveAsync(new StoredSession("t1", "a", new SessionSpec { Jid = Jid.Parse("a@example.com"), Password = "pa" }, created), Token);
        await Store.SaveAsync(new StoredSession("t1", "b", new SessionSpec { Jid = Jid.Parse("b@example.com"), Password = "pb" }, created), Token);

        var found = await Store.FindAsync("t1", "b", Token);

        Assert.NotNull(found);
        Assert.Equal(("t1", "b", "b@example.com", created), (found.Tenant, found.Id, found.Spec.Jid.ToString(), found.CreatedAt));
        Assert.Null(await Store.FindAsync("t2", "b", Token));
        Assert.Null(await Store.FindAsync("t1", "c", Token));
    }

    [Fact]
    public async Task SaveAsync_ReplacesAndDeleteAsyncForgets_LoadAllHasTheRest()
    {
        var spec = new SessionSpec { Jid = Jid.Parse("a@example.com"), Password = "old" };
        await Store.SaveAsync(new StoredSession("t", "s", spec, T0), Token);
        await Store.SaveAsync(new StoredSession("t", "s", spec with { Password = "new" }, T0.AddMinutes(1)), Token);
        await Store.SaveAsync(new StoredSession("t", "gone", spec, T0), Token);
        await Store.SaveAsync(new StoredSession("u", "s", spec, T0), Token);

        await Store.DeleteAsync("t", "gone", Token);
        await Store.DeleteAsync("t", "never-existed", Token);

        var loaded = await Store.LoadAllAsync(Token);
        Assert.Equal([("t", "s"), ("u", "s")], loaded.Select(s => (s.Tenant, s.Id)));
        Assert.Equal("new", loaded[0].Spec.Password);
        Assert.Equal(T0.AddMinutes(1), loaded[0].CreatedAt);
    }
}

public sealed class InMemoryPoolStoreContractTests : PoolStoreContractTests
{
    protected override ValueTask<IPoolStore> CreateAsync() => ValueTask.FromResult<IPoolStore>(new InMemoryPoolStore(outboxIsDurable: true));

    [Fact]
    public async Task OutboxCount_CountsEntriesOfEverySession()
    {
        var store = (InMemoryPoolStore)Store;
        await store.CommitOutboxAsync([OutboxEntry("t", "a", "m-1"), OutboxEntry("t", "a", "m-1"), OutboxEntry("t", "b", "m-1"), OutboxEntry("t", "b", "m-2")]);
        Assert.Equal(3, store.OutboxCount);

        await store.CommitOutboxAsync([], [new OutboxKey("t", "b", "m-2"), new OutboxKey("t", "b", "unknown")]);
        await store.DeleteSessionDataAsync("t", "a", Token);

        Assert.Equal(1, store.OutboxCount);
        Assert.True(store.IsDurable);
        Assert.False(new InMemoryPoolStore().IsDurable);
    }
}

public sealed class SqlitePoolStoreContractTests : PoolStoreContractTests
{
    private readonly TempDirectory _directory = new();
    private SqliteGatewayStore? _store;

    protected override ValueTask<IPoolStore> CreateAsync()
    {
        _store = OpenStore(_directory.Combine("gateway.db"));
        return ValueTask.FromResult<IPoolStore>(_store);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        _directory.Dispose();
        await base.DisposeAsync();
    }
}
