namespace Gateway.Xmpp.Client;

/// <summary>
/// A part that runs on every connection of a <see cref="ReconnectingXmppClient"/> (Smack's managers, slixmpp's
/// plugins): registered once, called for each new connection in registration order. A connection's life reads as
/// <see cref="OnConnectedAsync"/> of every feature, then <see cref="RunAsync"/> of all of them together until the
/// stream ends, then <see cref="OnDisconnectedAsync"/>; a graceful stop calls <see cref="OnStoppingAsync"/> first.
/// </summary>
public interface IConnectionFeature
{
    /// <summary>
    /// Sets the feature up on a new connection before the client counts as online (handlers, filters, the roster,
    /// initial presence). A connection that ends meanwhile makes this throw an <see cref="XmppException"/>; that is fine.
    /// </summary>
    ValueTask OnConnectedAsync(ConnectionContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>
    /// Runs for the connection's life. Return once <see cref="ConnectionContext.Ended"/> is cancelled, after whatever
    /// must still be done with what the connection delivered (e.g. draining <see cref="IXmppConnection.Incoming"/>).
    /// <paramref name="cancellationToken"/> is a hard stop: return at once.
    /// </summary>
    Task RunAsync(ConnectionContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// A graceful stop is under way and the connection still works: finish what is in flight (e.g. wait for the
    /// server to acknowledge what was sent), within the token's time.
    /// </summary>
    ValueTask OnStoppingAsync(ConnectionContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>
    /// The stream has ended and every feature's <see cref="RunAsync"/> returned; the stream's XEP-0198 state is
    /// detached for the next connection only after this (e.g. once received stanzas are stored, so they count as handled).
    /// </summary>
    ValueTask OnDisconnectedAsync(ConnectionContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
