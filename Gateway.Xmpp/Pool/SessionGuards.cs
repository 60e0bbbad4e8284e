using System.Collections.Concurrent;

namespace Gateway.Xmpp.Pool;

/// <summary>
/// One life-cycle operation at a time per session (create, change of settings, removal, release, hand-over), so that
/// they never interleave: a change that stored its settings after a removal deleted them would bring the session back
/// at the next start, and a change must not move a session that is still being created.
/// </summary>
internal sealed class SessionGuards
{
    private readonly ConcurrentDictionary<(string Tenant, string Id), Task> _held = new();

    /// <summary>Takes the session's guard, waiting while another operation holds it.</summary>
    public async Task<Held> EnterAsync((string Tenant, string Id) key, CancellationToken cancellationToken)
    {
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        while (!_held.TryAdd(key, released.Task))
        {
            if (_held.TryGetValue(key, out var other))
            {
                await other.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return new Held(key, released);
    }

    /// <summary>Takes the session's guard if no other operation holds it.</summary>
    public bool TryEnter((string Tenant, string Id) key, out Held held)
    {
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        held = new Held(key, released);
        return _held.TryAdd(key, released.Task);
    }

    /// <summary>Gives the guard back; whoever waits for it goes on.</summary>
    public void Exit(Held held)
    {
        _held.TryRemove(new KeyValuePair<(string, string), Task>(held.Key, held.Released.Task));
        held.Released.TrySetResult();
    }

    /// <summary>A guard taken for <see cref="Key"/>; <see cref="Released"/> completes when it is given back.</summary>
    public readonly record struct Held((string Tenant, string Id) Key, TaskCompletionSource Released);
}
