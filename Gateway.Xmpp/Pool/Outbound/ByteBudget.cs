namespace Gateway.Xmpp.Pool;

/// <summary>
/// Bytes a tenant's sessions may hold in their outbound queues and outboxes together
/// (<see cref="SessionPoolOptions.MaxQueuedBytesPerTenant"/>): reserved when a send is admitted, released when the
/// stanza leaves the outbox (acknowledged, failed or given up). Shared by the tenant's sessions; lock-free.
/// </summary>
internal sealed class ByteBudget(long capacity)
{
    private long _used;

    public long Capacity { get; } = capacity;

    /// <summary>Bytes reserved now.</summary>
    public long Used => Volatile.Read(ref _used);

    /// <summary>Reserves <paramref name="bytes"/>; false (and nothing reserved) when they do not fit.</summary>
    public bool TryReserve(long bytes)
    {
        if (Interlocked.Add(ref _used, bytes) <= Capacity)
        {
            return true;
        }

        Interlocked.Add(ref _used, -bytes);
        return false;
    }

    public void Release(long bytes) => Interlocked.Add(ref _used, -bytes);
}
