using Gateway.Xmpp;
using Gateway.Xmpp.Pool;

namespace Gateway.Bench.Delivery;

/// <summary>
/// The baseline: <see cref="MessageStatusTracker"/>'s bookkeeping as of commit <c>f0b62d8</c>, cut to what the
/// benchmark calls. The order held ids, so every step of a walk looked its status up by id, and a recalled status
/// older than everything kept walked the whole order before it was found too old to keep.
/// </summary>
internal sealed class LegacyMessageStatusTracker(int capacity)
{
    private readonly Dictionary<string, MessageStatus> _byId = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _order = new();
    private readonly object _gate = new();

    public void Track(MessageStatus status)
    {
        lock (_gate)
        {
            if (_byId.TryAdd(status.MessageId, status))
            {
                _order.AddLast(status.MessageId);
                while (_order.Count > capacity)
                {
                    _byId.Remove(_order.First!.Value);
                    _order.RemoveFirst();
                }
            }
        }
    }

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
                return status;
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
                    var next = current with { Status = status };
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
}
