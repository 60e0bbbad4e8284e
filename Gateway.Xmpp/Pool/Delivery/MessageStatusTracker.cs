namespace Gateway.Xmpp.Pool;

/// <summary>
/// The delivery states of a session's recent outgoing messages. Pure bookkeeping: callers report what
/// happened, and get back the new state only when it moved forward, so each change is published once.
/// Bounded: the oldest entries are forgotten beyond the capacity.
/// </summary>
internal sealed class MessageStatusTracker(int capacity, TimeProvider time)
{
    // Each message's node in acceptance order (oldest first); the node holds its current status, so walking the order
    // reads statuses without a lookup per step.
    private readonly Dictionary<string, LinkedListNode<MessageStatus>> _byId = new(StringComparer.Ordinal);
    private readonly LinkedList<MessageStatus> _order = new();
    private readonly object _gate = new();

    public MessageStatus? Get(string messageId)
    {
        lock (_gate)
        {
            return _byId.TryGetValue(messageId, out var node) ? node.Value : null;
        }
    }

    /// <summary>Starts tracking a message in <see cref="DeliveryStatus.Queued"/>.</summary>
    public MessageStatus Track(string messageId, Jid? to)
    {
        var now = time.GetUtcNow();
        var status = new MessageStatus(messageId, to, DeliveryStatus.Queued, now, now);
        lock (_gate)
        {
            if (_byId.TryGetValue(messageId, out var known))
            {
                return known.Value;
            }

            _byId.Add(messageId, _order.AddLast(status));
            ForgetBeyondCapacity();
            return status;
        }
    }

    /// <summary>
    /// Tracks again a status known from elsewhere (the journal, for a message sent before a restart or forgotten beyond
    /// the capacity), in its place by <see cref="MessageStatus.QueuedAt"/> so that a XEP-0333 marker still covers only
    /// earlier messages. Returns what is now tracked: the status tracked already, if any, wins.
    /// </summary>
    public MessageStatus Recall(MessageStatus status)
    {
        lock (_gate)
        {
            if (_byId.TryGetValue(status.MessageId, out var current))
            {
                return current.Value;
            }

            // Older than everything kept (what a status asked for after a restart, or beyond the capacity, usually is):
            // first in the order without walking it; at the capacity it would be the first forgotten, so not kept.
            if (_order.First is not { } oldest || oldest.Value.QueuedAt > status.QueuedAt)
            {
                if (_order.Count >= capacity)
                {
                    return status;
                }

                _byId.Add(status.MessageId, _order.AddFirst(status));
                return status;
            }

            // Somewhere among the kept ones: after the newest not accepted later (the oldest is not, so the walk ends).
            var after = _order.Last!;
            while (after.Value.QueuedAt > status.QueuedAt)
            {
                after = after.Previous!;
            }

            _byId.Add(status.MessageId, _order.AddAfter(after, status));
            ForgetBeyondCapacity();
            return status;
        }
    }

    /// <summary>
    /// Moves a message forward; null when unknown, when it is already at or past that state, or when
    /// <paramref name="from"/> (who reports it, when given) is not the message's recipient.
    /// </summary>
    public MessageStatus? Advance(string messageId, DeliveryStatus status, Jid? from = null)
    {
        lock (_gate)
        {
            if (!_byId.TryGetValue(messageId, out var node))
            {
                return null;
            }

            var current = node.Value;
            if (current.Status == DeliveryStatus.Failed || current.Status >= status || (from is not null && current.To?.Bare != from.Bare))
            {
                return null;
            }

            var next = current with { Status = status, UpdatedAt = time.GetUtcNow() };
            node.Value = next;
            return next;
        }
    }

    /// <summary>
    /// XEP-0333 §3.3: a displayed marker covers the message it names and every earlier markable message to the
    /// same contact. Returns every message that moved.
    /// </summary>
    public IReadOnlyList<MessageStatus> AdvanceThrough(string messageId, Jid from, DeliveryStatus status)
    {
        lock (_gate)
        {
            if (!_byId.TryGetValue(messageId, out var named) || named.Value.To?.Bare != from.Bare)
            {
                return [];
            }

            var moved = new List<MessageStatus>();
            for (var node = _order.First; node is not null; node = node.Next)
            {
                var current = node.Value;
                if (current.To?.Bare == from.Bare && current.Status < status && current.Status != DeliveryStatus.Failed)
                {
                    var next = current with { Status = status, UpdatedAt = time.GetUtcNow() };
                    node.Value = next;
                    moved.Add(next);
                }

                if (node == named)
                {
                    break;
                }
            }

            return moved;
        }
    }

    /// <summary>
    /// Marks a message failed unless the recipient already has it. Null when unknown, no change, or when
    /// <paramref name="from"/> (who reports it, when given) is not the message's recipient.
    /// </summary>
    public MessageStatus? Fail(string messageId, string condition, string? text, Jid? from = null)
    {
        lock (_gate)
        {
            if (!_byId.TryGetValue(messageId, out var node))
            {
                return null;
            }

            var current = node.Value;
            if (current.Status is DeliveryStatus.Failed or >= DeliveryStatus.Delivered || (from is not null && current.To?.Bare != from.Bare))
            {
                return null;
            }

            var next = current with { Status = DeliveryStatus.Failed, UpdatedAt = time.GetUtcNow(), ErrorCondition = condition, ErrorText = text };
            node.Value = next;
            return next;
        }
    }

    /// <summary>Under the gate: the oldest entries beyond the capacity are forgotten.</summary>
    private void ForgetBeyondCapacity()
    {
        while (_order.Count > capacity)
        {
            _byId.Remove(_order.First!.Value.MessageId);
            _order.RemoveFirst();
        }
    }
}
