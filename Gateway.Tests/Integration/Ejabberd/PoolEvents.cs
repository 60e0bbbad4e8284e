using Gateway.Tests.Integration.Client;
using Gateway.Xmpp.Pool;

namespace Gateway.Tests.Integration.Ejabberd;

/// <summary>Collects every event a pool publishes, from creation on, so a test can wait for one and then inspect them all.</summary>
internal sealed class PoolEvents : IAsyncDisposable
{
    private readonly List<SessionEvent> _events = [];
    private readonly CancellationTokenSource _stop;
    private readonly Task _reader;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PoolEvents(SessionPool pool)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        _reader = Task.Run(async () =>
        {
            await foreach (var e in pool.ReadEventsAsync(_stop.Token))
            {
                TaskCompletionSource changed;
                lock (_events)
                {
                    _events.Add(e);
                    changed = _changed;
                    _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
                changed.TrySetResult();
            }
        });
    }

    public IReadOnlyList<SessionEvent> All
    {
        get
        {
            lock (_events)
                return [.. _events];
        }
    }

    /// <summary>The messages received by session <paramref name="sessionId"/>, in order.</summary>
    public IReadOnlyList<MessageReceived> MessagesOf(string sessionId) => [.. All.OfType<MessageReceived>().Where(m => m.SessionId == sessionId)];

    /// <summary>Waits until an event matches; fails after <see cref="TestClients.Patience"/>.</summary>
    public async Task<T> WaitForAsync<T>(Func<T, bool> match)
        where T : SessionEvent
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TestClients.Patience);
        while (true)
        {
            Task changed;
            lock (_events)
            {
                if (_events.OfType<T>().FirstOrDefault(match) is { } found)
                    return found;
                changed = _changed.Task;
            }
            try
            {
                await changed.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"No matching {typeof(T).Name} within {TestClients.Patience.TotalSeconds} s; events: {string.Join(", ", All.Select(e => e.GetType().Name))}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _reader;
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
        _stop.Dispose();
    }
}
