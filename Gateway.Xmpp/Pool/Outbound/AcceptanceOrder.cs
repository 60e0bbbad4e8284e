namespace Gateway.Xmpp.Pool;

/// <summary>
/// Keeps a session's sends in the order they were admitted: each accept takes a ticket when it is admitted, may then
/// finish its store write out of turn (the journal's completions resume on the thread pool), and enters the queue
/// only after every earlier ticket has entered it or given up. So stanzas reach the connection in the order their
/// sends were called — a batch submitted without waiting in between included.
/// </summary>
internal sealed class AcceptanceOrder
{
    private static readonly Task<bool> Entered = Task.FromResult(true);
    private static readonly Task<bool> Refused = Task.FromResult(false);

    private readonly object _gate = new();
    private readonly Dictionary<long, (OutboundItem? Item, TaskCompletionSource<bool> Done)> _waiting = [];
    private long _nextTicket;
    private long _nextToEnter;

    /// <summary>The next ticket, in admission order.</summary>
    public long Take()
    {
        lock (_gate)
        {
            return _nextTicket++;
        }
    }

    /// <summary>
    /// The accept holding <paramref name="ticket"/> is done: with its item to queue, or null when it gave up. Completes
    /// once the item's turn came: true when <paramref name="enqueue"/> took it, false when it refused (or for null).
    /// </summary>
    public Task<bool> FinishAsync(long ticket, OutboundItem? item, Func<OutboundItem, bool> enqueue)
    {
        lock (_gate)
        {
            if (ticket != _nextToEnter)
            {
                var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting.Add(ticket, (item, done));
                return done.Task;
            }

            var entered = item is not null && enqueue(item);
            _nextToEnter++;
            while (_waiting.Remove(_nextToEnter, out var next))
            {
                next.Done.TrySetResult(next.Item is not null && enqueue(next.Item));
                _nextToEnter++;
            }

            return entered ? Entered : Refused;
        }
    }
}
