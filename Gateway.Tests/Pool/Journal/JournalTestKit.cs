using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Journal;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Pool.Journal;

/// <summary>An <see cref="EventJournal"/> over a store that records each commit, can hold one back, or fail it.</summary>
internal sealed class JournalTestKit : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly List<IReadOnlyList<JournalEntry>> _commits = [];
    private readonly List<SessionEvent> _dispatched = [];
    private int _failuresLeft;

    public JournalTestKit(int capacity = 1_000) =>
        Journal = new EventJournal(CommitAsync, e => { lock (_gate) { _dispatched.Add(e); } }, capacity, NullLogger.Instance, TimeProvider.System);

    public EventJournal Journal { get; }

    /// <summary>While set, each commit waits for it.</summary>
    public TaskCompletionSource? Hold { get; set; }

    public IReadOnlyList<IReadOnlyList<JournalEntry>> Commits
    {
        get
        {
            lock (_gate)
            {
                return [.. _commits];
            }
        }
    }

    public IReadOnlyList<SessionEvent> Dispatched
    {
        get
        {
            lock (_gate)
            {
                return [.. _dispatched];
            }
        }
    }

    /// <summary>The next <paramref name="count"/> commits throw.</summary>
    public void FailNext(int count) => _failuresLeft = count;

    /// <summary>The first commit that contains an entry matching <paramref name="entry"/> throws (once).</summary>
    public void FailOnceWhen(Func<JournalEntry, bool> entry) => _failWhen = entry;

    private Func<JournalEntry, bool>? _failWhen;

    public ValueTask DisposeAsync() => Journal.DisposeAsync();

    private async Task CommitAsync(IReadOnlyList<JournalEntry> entries, CancellationToken cancellationToken)
    {
        if (Hold is { } hold)
        {
            await hold.Task;
        }

        if (Interlocked.Decrement(ref _failuresLeft) >= 0)
        {
            throw new InvalidOperationException("the store is down");
        }

        if (_failWhen is { } failWhen && entries.Any(failWhen))
        {
            _failWhen = null;
            throw new InvalidOperationException("the store is down");
        }

        lock (_gate)
        {
            _commits.Add([.. entries]);
        }
    }
}
