using Gateway.Api.Persistence;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;
using static Gateway.Tests.Persistence.PersistenceTestKit;

namespace Gateway.Tests.Persistence;

/// <summary>
/// What every <see cref="IEventLog"/> does, <see cref="InMemoryEventLog"/> being the reference: each implementation
/// runs these cases through a subclass.
/// </summary>
[Trait("Tier", "Unit")]
public abstract class EventLogContractTests : IAsyncLifetime
{
    private IEventLog? _log;

    protected IEventLog Log => _log ?? throw new InvalidOperationException("Not initialised.");

    public async ValueTask InitializeAsync() => _log = await CreateAsync();

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    protected abstract ValueTask<IEventLog> CreateAsync();

    [Fact]
    public async Task ReadAsync_UnknownSession_EmptyPageWithoutGap()
    {
        var page = await Log.ReadAsync("t", "s", 0, 10, Token);

        Assert.Empty(page.Events);
        Assert.Equal(0, page.OldestAvailableEventId);
        Assert.Equal(0, page.LastEventId);
        Assert.False(page.Gap);
        Assert.Equal(0, await Log.GetLastEventIdAsync("t", "s", Token));
    }

    [Fact]
    public async Task AppendAsync_EveryKind_ReadsBackInOrderWithSameContent()
    {
        var events = Events("t", "s", 1, 10);
        await Log.AppendAsync(events[..4], Token);
        await Log.AppendAsync(events[4..], Token);

        var page = await Log.ReadAsync("t", "s", 0, 100, Token);

        AssertSameEvents(events, page.Events);
        Assert.Equal(1, page.OldestAvailableEventId);
        Assert.Equal(10, page.LastEventId);
        Assert.False(page.Gap);
        Assert.Equal(10, await Log.GetLastEventIdAsync("t", "s", Token));
    }

    [Fact]
    public async Task AppendAsync_EmptyBatch_ChangesNothing()
    {
        await Log.AppendAsync([], Token);

        Assert.Equal(0, await Log.GetLastEventIdAsync("t", "s", Token));
    }

    [Theory]
    [InlineData(0, 1, 10)]
    [InlineData(4, 5, 10)]
    [InlineData(9, 10, 10)]
    public async Task ReadAsync_AfterEventId_ReturnsOnlyNewerEvents(long afterEventId, long first, long last)
    {
        await Log.AppendAsync(Events("t", "s", 1, 10), Token);

        var page = await Log.ReadAsync("t", "s", afterEventId, 100, Token);

        Assert.Equal(Enumerable.Range((int)first, (int)(last - first + 1)).Select(i => (long)i), page.Events.Select(e => e.EventId));
        Assert.False(page.Gap);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(25)]
    public async Task ReadAsync_AtOrPastLastEventId_EmptyWithoutGap(long afterEventId)
    {
        await Log.AppendAsync(Events("t", "s", 1, 10), Token);

        var page = await Log.ReadAsync("t", "s", afterEventId, 100, Token);

        Assert.Empty(page.Events);
        Assert.Equal(1, page.OldestAvailableEventId);
        Assert.Equal(10, page.LastEventId);
        Assert.False(page.Gap);
    }

    [Fact]
    public async Task ReadAsync_Limit_PagesOldestFirst()
    {
        await Log.AppendAsync(Events("t", "s", 1, 10), Token);

        var first = await Log.ReadAsync("t", "s", 0, 4, Token);
        var second = await Log.ReadAsync("t", "s", first.Events[^1].EventId, 4, Token);
        var third = await Log.ReadAsync("t", "s", second.Events[^1].EventId, 4, Token);

        Assert.Equal([1L, 2, 3, 4], first.Events.Select(e => e.EventId));
        Assert.Equal([5L, 6, 7, 8], second.Events.Select(e => e.EventId));
        Assert.Equal([9L, 10], third.Events.Select(e => e.EventId));
        Assert.All([first, second, third], p => Assert.Equal(10, p.LastEventId));
    }

    [Fact]
    public async Task ReadAsync_LimitZero_NoEventsButBounds()
    {
        await Log.AppendAsync(Events("t", "s", 1, 3), Token);

        var page = await Log.ReadAsync("t", "s", 0, 0, Token);

        Assert.Empty(page.Events);
        Assert.Equal(1, page.OldestAvailableEventId);
        Assert.Equal(3, page.LastEventId);
    }

    [Fact]
    public async Task TrimAsync_ByCount_KeepsNewestAndReportsGapBeforeThem()
    {
        await Log.AppendAsync(Events("t", "s", 1, 10), Token);
        await Log.AppendAsync(Events("t", "other", 1, 3), Token);

        await Log.TrimAsync(4, DateTimeOffset.MinValue, Token);

        var fromStart = await Log.ReadAsync("t", "s", 0, 100, Token);
        Assert.Equal([7L, 8, 9, 10], fromStart.Events.Select(e => e.EventId));
        Assert.Equal(7, fromStart.OldestAvailableEventId);
        Assert.Equal(10, fromStart.LastEventId);
        Assert.True(fromStart.Gap);
        Assert.True((await Log.ReadAsync("t", "s", 5, 100, Token)).Gap);
        Assert.False((await Log.ReadAsync("t", "s", 6, 100, Token)).Gap);
        Assert.Equal(3, (await Log.ReadAsync("t", "other", 0, 100, Token)).Events.Count);
    }

    [Fact]
    public async Task TrimAsync_AtExactlyTheCount_KeepsAll()
    {
        await Log.AppendAsync(Events("t", "s", 1, 5), Token);

        await Log.TrimAsync(5, DateTimeOffset.MinValue, Token);

        var page = await Log.ReadAsync("t", "s", 0, 100, Token);
        Assert.Equal(5, page.Events.Count);
        Assert.False(page.Gap);
    }

    [Fact]
    public async Task TrimAsync_ByAge_DropsOlderAndReportsGap()
    {
        // Event n was received at T0 + n minutes.
        await Log.AppendAsync(Events("t", "s", 1, 6), Token);

        await Log.TrimAsync(1_000, T0.AddMinutes(4), Token);

        var page = await Log.ReadAsync("t", "s", 0, 100, Token);
        Assert.Equal([4L, 5, 6], page.Events.Select(e => e.EventId));
        Assert.Equal(4, page.OldestAvailableEventId);
        Assert.True(page.Gap);
        Assert.True((await Log.ReadAsync("t", "s", 2, 100, Token)).Gap);
        Assert.False((await Log.ReadAsync("t", "s", 3, 100, Token)).Gap);
    }

    [Fact]
    public async Task TrimAsync_EveryEvent_LastEventIdSurvivesAndNumberingContinues()
    {
        await Log.AppendAsync(Events("t", "s", 1, 5), Token);

        await Log.TrimAsync(0, DateTimeOffset.MaxValue, Token);

        Assert.Equal(5, await Log.GetLastEventIdAsync("t", "s", Token));
        var behind = await Log.ReadAsync("t", "s", 2, 100, Token);
        Assert.Empty(behind.Events);
        Assert.Equal(0, behind.OldestAvailableEventId);
        Assert.Equal(5, behind.LastEventId);
        Assert.True(behind.Gap);
        Assert.False((await Log.ReadAsync("t", "s", 5, 100, Token)).Gap);

        await Log.AppendAsync([Event("t", "s", 6)], Token);
        var after = await Log.ReadAsync("t", "s", 5, 100, Token);
        Assert.Equal([6L], after.Events.Select(e => e.EventId));
        Assert.False(after.Gap);
        Assert.Equal(6, after.LastEventId);
    }

    [Fact]
    public async Task ReadAsync_SameSessionIdInAnotherTenant_Isolated()
    {
        await Log.AppendAsync(Events("tenant-a", "s", 1, 3), Token);
        await Log.AppendAsync(Events("tenant-b", "s", 1, 7), Token);

        var a = await Log.ReadAsync("tenant-a", "s", 0, 100, Token);
        var b = await Log.ReadAsync("tenant-b", "s", 0, 100, Token);

        Assert.All(a.Events, e => Assert.Equal("tenant-a", e.Tenant));
        Assert.Equal(3, a.Events.Count);
        Assert.Equal(3, a.LastEventId);
        Assert.Equal(7, b.Events.Count);
        Assert.Equal(0, await Log.GetLastEventIdAsync("tenant-c", "s", Token));
    }

    [Fact]
    public async Task DeleteSessionAsync_ForgetsEventsAndLastId_OnlyOfThatSession()
    {
        await Log.AppendAsync([.. Events("t", "s", 1, 4), .. Events("t", "kept", 1, 2), .. Events("u", "s", 1, 2)], Token);

        await Log.DeleteSessionAsync("t", "s", Token);
        await Log.DeleteSessionAsync("t", "never-existed", Token);

        var deleted = await Log.ReadAsync("t", "s", 0, 100, Token);
        Assert.Empty(deleted.Events);
        Assert.Equal(0, deleted.LastEventId);
        Assert.False(deleted.Gap);
        Assert.Equal(0, await Log.GetLastEventIdAsync("t", "s", Token));
        Assert.Equal(2, (await Log.ReadAsync("t", "kept", 0, 100, Token)).Events.Count);
        Assert.Equal(2, (await Log.ReadAsync("u", "s", 0, 100, Token)).Events.Count);
    }

    [Fact]
    public async Task AppendAsync_ConcurrentCallers_EveryEventStoredInOrder()
    {
        const int Sessions = 8;
        const int Batches = 25;
        const int BatchSize = 20;

        await Task.WhenAll(Enumerable.Range(0, Sessions).Select(s => Task.Run(
            async () =>
            {
                for (var b = 0; b < Batches; b++)
                {
                    await Log.AppendAsync(Events("t", $"s{s}", (b * BatchSize) + 1, (b + 1) * BatchSize), Token);
                }
            },
            Token)));

        for (var s = 0; s < Sessions; s++)
        {
            var page = await Log.ReadAsync("t", $"s{s}", 0, 10_000, Token);
            Assert.Equal(Enumerable.Range(1, Batches * BatchSize).Select(i => (long)i), page.Events.Select(e => e.EventId));
            Assert.Equal(Batches * BatchSize, page.LastEventId);
        }
    }
}

public sealed class InMemoryEventLogContractTests : EventLogContractTests
{
    protected override ValueTask<IEventLog> CreateAsync() => ValueTask.FromResult<IEventLog>(new InMemoryEventLog());
}

public sealed class SqliteEventLogContractTests : EventLogContractTests
{
    private readonly TempDirectory _directory = new();
    private SqliteGatewayStore? _store;

    protected override ValueTask<IEventLog> CreateAsync()
    {
        _store = OpenStore(_directory.Combine("gateway.db"));
        return ValueTask.FromResult<IEventLog>(_store);
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
