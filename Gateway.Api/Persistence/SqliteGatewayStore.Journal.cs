using Gateway.Xmpp;
using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Api.Persistence;

/// <summary>The write side of journal and outbox (<see cref="IPoolStore.CommitAsync"/>): encoded and sealed on the caller's thread, committed by the writer.</summary>
internal sealed partial class SqliteGatewayStore
{
    /// <summary>
    /// Commits the batch in one transaction, together with the batches other callers queued meanwhile, and completes
    /// after the commit. Idempotent (<see cref="IPoolStore.CommitAsync"/>). An event the codec cannot encode is logged
    /// (5512) and skipped, but its id still counts for the journal head; a stanza that cannot be encoded fails the
    /// call. Cancellation applies until the writer picks the batch up.
    /// </summary>
    public Task CommitAsync(JournalBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (batch.IsEmpty)
        {
            return Task.CompletedTask;
        }

        // Encoded and sealed here, on the caller's thread (in parallel across callers): the writer only runs SQL.
        return CommitRowsAsync(_encoder.Encode(batch), cancellationToken);
    }

    public async Task DeleteSessionDataAsync(string tenant, string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(sessionId);
        await WriteAsync(
            """
            DELETE FROM events WHERE tenant = $tenant AND session_id = $session;
            DELETE FROM session_event_heads WHERE tenant = $tenant AND session_id = $session;
            DELETE FROM outbox WHERE tenant = $tenant AND session_id = $session;
            DELETE FROM rooms WHERE tenant = $tenant AND session_id = $session;
            """,
            cancellationToken,
            ("$tenant", tenant),
            ("$session", sessionId));
    }
}
