namespace Gateway.Xmpp.Pool;

/// <summary>
/// The delivery states of a session's recent outgoing messages. Pure bookkeeping: callers report what
/// happened, and get back the new state only when it moved forward, so each change is published once.
/// Bounded: the oldest entries are forgotten beyond the capacity.
/// </summary>
internal sealed class MessageStatusTracker(int capacity, TimeProvider time)
{
    private readonly Dictionary<string, MessageStatus> _byId = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _order = new();
    private readonly object _gate = new();

    public MessageStatus? Get(string messageId)
    {
        lock (_gate)
        {
            return _byId.GetValueOrDefault(messageId);
        }
    }

    /// <summary>Starts tracking a message in <see cref="DeliveryStatus.Queued"/>.</summary>
    public MessageStatus Track(string messageId, Jid? to)
    {
        var now = time.GetUtcNow();
        var status = new MessageStatus(messageId, to, DeliveryStatus.Queued, now, now);
        lock (_gate)
        {
            if (_byId.TryAdd(messageId, status))
            {
                _order.AddLast(messageId);
                while (_order.Count > capacity)
                {
                    _byId.Remove(_order.First!.Value);
                    _order.RemoveFirst();
                }
            }

            return _byId[messageId];
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
                return current;
            }

            var after = _order.Last;
            while (after is not null && _byId[after.Value].QueuedAt > status.QueuedAt)
            {
                after = after.Previous;
            }

            if (after is null && _order.Count >= capacity)
            {
                return status; // older than everything kept: it would be the first forgotten
            }

            _byId.Add(status.MessageId, status);
            if (after is null)
            {
                _order.AddFirst(status.MessageId);
            }
            else
            {
                _order.AddAfter(after, status.MessageId);
            }

            while (_order.Count > capacity)
            {
                _byId.Remove(_order.First!.Value);
                _order.RemoveFirst();
            }

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
            if (!_byId.TryGetValue(messageId, out var current) || current.Status == DeliveryStatus.Failed || current.Status >= status
                || (from is not null && current.To?.Bare != from.Bare))
            {
                return null;
            }

            var next = current with { Status = status, UpdatedAt = time.GetUtcNow() };
            _byId[messageId] = next;
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
            if (!_byId.TryGetValue(messageId, out var named) || named.To?.Bare != from.Bare)
            {
                return [];
            }

            var moved = new List<MessageStatus>();
            for (var node = _order.First; node is not null; node = node.Next)
            {
                var id = node.Value;
                var current = _byId[id];
                if (current.To?.Bare == from.Bare && current.Status < status && current.Status != DeliveryStatus.Failed)
                {
                    var next = current with { Status = status, UpdatedAt = time.GetUtcNow() };
                    _byId[id] = next;
                    moved.Add(next);
                }

                if (id == messageId)
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
            if (!_byId.TryGetValue(messageId, out var current) || current.Status is DeliveryStatus.Failed or >= DeliveryStatus.Delivered
                || (from is not null && current.To?.Bare != from.Bare))
            {
                return null;
            }

            var next = current with { Status = DeliveryStatus.Failed, UpdatedAt = time.GetUtcNow(), ErrorCondition = condition, ErrorText = text };
            _byId[messageId] = next;
            return next;
        }
    }
}
