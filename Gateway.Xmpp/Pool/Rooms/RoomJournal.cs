using Gateway.Xmpp.Pool.Journal;

namespace Gateway.Xmpp.Pool.Rooms;

/// <summary>How the room parts publish the events a step produced: collected under the table's lock, published after it.</summary>
internal static class RoomJournal
{
    /// <summary>Publishes the events in order, each once the journal has room for it (it is bounded).</summary>
    public static async ValueTask PublishAllAsync(this SessionJournal journal, IEnumerable<SessionEvent>? events, CancellationToken cancellationToken)
    {
        foreach (var sessionEvent in events ?? [])
        {
            await journal.WaitForCapacityAsync(cancellationToken).ConfigureAwait(false);
            journal.Publish(sessionEvent, reserved: true);
        }
    }
}
