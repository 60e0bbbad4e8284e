// RFC 6121 §2.1.6 (roster pushes), §4.2 (initial presence), §4.5.1 (unavailable)
using Gateway.Xmpp.Client;

namespace Gateway.Xmpp.Pool;

/// <summary>
/// Brings a new stream to where the session was: requests the roster (RFC 6121 §2.1.6: only a resource that requested
/// it receives roster pushes) and sends the session's presence — the last broadcast presence the application set, or
/// plain initial presence (§4.2). A resumed stream keeps both on the server (XEP-0198 §5) and needs neither, unless
/// the connection that began the stream ended before they were sent: the server then holds an unavailable resource
/// and keeps the account's messages offline, for as long as the stream is resumed.
/// </summary>
internal sealed class SessionPresence(bool sendInitialPresence) : IConnectionFeature
{
    private Presence? _current;

    /// <summary>1 from the start of a new stream until its roster request and presence are written.</summary>
    private int _setUpPending;

    /// <summary>
    /// Remembers a presence the application sent, when it is the session's broadcast availability (no addressee, not a
    /// subscription or probe), to send it again on every new stream instead of the default.
    /// </summary>
    public void Sent(Stanza stanza)
    {
        if (stanza is Presence { To: null, Type: PresenceType.Available or PresenceType.Unavailable } presence)
        {
            Volatile.Write(ref _current, presence with { Id = null });
        }
    }

    public async ValueTask OnConnectedAsync(ConnectionContext context, CancellationToken cancellationToken)
    {
        if (context.Resumed && Volatile.Read(ref _setUpPending) == 0)
        {
            return;
        }

        // Written stanzas are safe from here: resumption resends what the server did not acknowledge.
        Volatile.Write(ref _setUpPending, 1);
        await context.Connection.GetRosterAsync(cancellationToken).ConfigureAwait(false);
        if (Volatile.Read(ref _current) is { } current)
        {
            await context.Connection.SendAsync(current with { Id = StanzaId.New() }, cancellationToken).ConfigureAwait(false);
        }
        else if (sendInitialPresence)
        {
            await context.Connection.SendInitialPresenceAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        Volatile.Write(ref _setUpPending, 0);
    }
}
