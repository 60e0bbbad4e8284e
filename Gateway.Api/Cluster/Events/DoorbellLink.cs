using System.Runtime.InteropServices;

namespace Gateway.Api.Cluster.Events;

/// <summary>
/// The doorbells for one remote node, coalesced: per session only the newest event id waits, and at most one call to
/// the node is in flight. While a call is under way, every event of every session the node follows only updates the
/// waiting ids; the next call carries them all. So an owner that publishes thousands of events a second makes about
/// one call per round trip per node, not one per event per subscriber.
/// </summary>
/// <remarks>
/// Bounded: what waits is one entry per session the node follows. A call that fails (the node died or left) marks the
/// link failed: it rings no more, and its owner (<see cref="EventDoorbells"/>) forgets it; the node, if alive, registers
/// again at its next refresh and learns the newest id from that answer.
/// </remarks>
internal sealed class DoorbellLink
{
    /// <summary>Sessions per call at most; more wait for the next call.</summary>
    internal const int MaxBatch = 1_000;

    private readonly Func<IReadOnlyList<SessionDoorbell>, Task> _send;
    private readonly Action<DoorbellLink, int, Exception> _failed;
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Tenant, string SessionId), long> _waiting = [];
    private Task _sending = Task.CompletedTask;
    private bool _inFlight;
    private bool _isFailed;

    /// <param name="node">The remote node, for logs.</param>
    /// <param name="send">Rings the node (one call).</param>
    /// <param name="failed">Told once when a call failed, with how many sessions it carried.</param>
    public DoorbellLink(string node, Func<IReadOnlyList<SessionDoorbell>, Task> send, Action<DoorbellLink, int, Exception> failed)
    {
        Node = node;
        _send = send;
        _failed = failed;
    }

    public string Node { get; }

    /// <summary>Whether a call failed: the link rings no more.</summary>
    public bool IsFailed
    {
        get
        {
            lock (_gate)
            {
                return _isFailed;
            }
        }
    }

    /// <summary>The calls under way, if any (awaited at shutdown); never faults.</summary>
    public Task Sending
    {
        get
        {
            lock (_gate)
            {
                return _sending;
            }
        }
    }

    /// <summary>The session has events up to <paramref name="eventId"/>. Never waits: starts a call only when none is in flight.</summary>
    public void Ring(string tenant, string sessionId, long eventId)
    {
        lock (_gate)
        {
            if (_isFailed)
            {
                return;
            }

            ref var newest = ref CollectionsMarshal.GetValueRefOrAddDefault(_waiting, (tenant, sessionId), out _);
            newest = Math.Max(newest, eventId);
            if (_inFlight)
            {
                return;
            }

            _inFlight = true;
            _sending = Task.Run(SendAllAsync);
        }
    }

    private async Task SendAllAsync()
    {
        while (true)
        {
            List<SessionDoorbell> batch;
            lock (_gate)
            {
                if (_waiting.Count == 0 || _isFailed)
                {
                    _inFlight = false;
                    return;
                }

                batch = new List<SessionDoorbell>(Math.Min(_waiting.Count, MaxBatch));
                foreach (var (key, eventId) in _waiting)
                {
                    batch.Add(new SessionDoorbell(key.Tenant, key.SessionId, eventId));
                    if (batch.Count == MaxBatch)
                    {
                        break;
                    }
                }

                foreach (var bell in batch)
                {
                    _waiting.Remove((bell.Tenant, bell.SessionId));
                }
            }

            try
            {
                await _send(batch);
            }
            catch (Exception ex)
            {
                lock (_gate)
                {
                    _isFailed = true;
                    _inFlight = false;
                    _waiting.Clear();
                }

                _failed(this, batch.Count, ex);
                return;
            }
        }
    }
}
