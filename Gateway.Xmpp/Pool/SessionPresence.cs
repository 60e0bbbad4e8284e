// RFC 6121 §2.1.6 (roster pushes), §2.6 (roster versioning), §4.2 (initial presence), §4.5.1 (unavailable)
using System.Xml.Linq;
using Gateway.Xmpp.Client;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp.Pool;

/// <summary>
/// Brings a new stream to where the session was: requests the roster (RFC 6121 §2.1.6: only a resource that requested
/// it receives roster pushes) and sends the session's presence — the last broadcast presence the application set, or
/// plain initial presence (§4.2) — then the directed presences the application sent (§4.6: the server forgets them
/// when the stream ends, so whoever got one would otherwise believe us gone). Rooms are the room manager's. A resumed stream keeps both on the server (XEP-0198 §5) and needs neither, unless
/// the connection that began the stream ended before they were sent: the server then holds an unavailable resource
/// and keeps the account's messages offline, for as long as the stream is resumed.
/// <para>
/// The roster is kept (<see cref="RosterCache"/>): a new stream asks with the cached version where the server supports
/// versioning (RFC 6121 §2.6), and whatever differs from the cache — changes made while no stream was there to receive
/// their pushes — is reported through <paramref name="rosterChanged"/>, as if pushed.
/// </para>
/// </summary>
/// <param name="sendInitialPresence">Send plain initial presence when the application set none.</param>
/// <param name="rosterChanged">Told each item that changed while the session was offline (removed ones as <see cref="RosterSubscription.Remove"/>).</param>
internal sealed class SessionPresence(bool sendInitialPresence, Action<RosterItem>? rosterChanged = null) : IConnectionFeature
{
    private static readonly XName RosterVersioningFeature = XName.Get("ver", Ns.RosterVersioning);

    /// <summary>How many addressees' directed presence is remembered; beyond it the oldest is forgotten.</summary>
    internal const int MaxDirected = 1_000;

    private readonly RosterCache _roster = new();
    private readonly object _directedGate = new();

    /// <summary>The directed available presence last sent to each addressee, in the order first sent.</summary>
    private readonly Dictionary<Jid, Presence> _directed = [];
    private readonly List<Jid> _directedOrder = [];
    private Presence? _current;

    /// <summary>1 from the start of a new stream until its roster request and presence are written.</summary>
    private int _setUpPending;

    /// <summary>1 while this process has no roster for a stream it resumes (another process began it): asked for once.</summary>
    private int _rosterOnResume;

    /// <summary>
    /// The first stream will be one another process began and this one resumes (XEP-0198 §5): the server still has its
    /// presence and roster interest, but this process has no roster yet, so it asks for it then (and sends nothing else).
    /// </summary>
    public void ResumeElsewhereBegun() => Volatile.Write(ref _rosterOnResume, 1);

    /// <summary>The roster as the session last knew it (for the contacts' presence).</summary>
    public RosterCache Roster => _roster;

    /// <summary>
    /// Remembers a presence the application sent, when it is the session's broadcast availability (no addressee, not a
    /// subscription or probe), to send it again on every new stream instead of the default; or a directed one (RFC 6121
    /// §4.6), to send again to its addressee on every new stream until an unavailable one to the same addressee ends it.
    /// </summary>
    public void Sent(Stanza stanza)
    {
        switch (stanza)
        {
            case Presence { To: null, Type: PresenceType.Available or PresenceType.Unavailable } presence:
                Volatile.Write(ref _current, presence with { Id = null });
                break;
            case Presence { To: { } to, Type: PresenceType.Available } presence:
                lock (_directedGate)
                {
                    if (!_directed.ContainsKey(to))
                    {
                        _directedOrder.Add(to);
                        if (_directedOrder.Count > MaxDirected)
                        {
                            _directed.Remove(_directedOrder[0]);
                            _directedOrder.RemoveAt(0);
                        }
                    }

                    _directed[to] = presence with { Id = null };
                }

                break;
            case Presence { To: { } to, Type: PresenceType.Unavailable }:
                lock (_directedGate)
                {
                    if (_directed.Remove(to))
                    {
                        _directedOrder.Remove(to);
                    }
                }

                break;
        }
    }

    /// <summary>The directed presences to send again on a new stream, oldest first.</summary>
    internal IReadOnlyList<Presence> Directed
    {
        get
        {
            lock (_directedGate)
            {
                return [.. _directedOrder.Select(to => _directed[to])];
            }
        }
    }

    public async ValueTask OnConnectedAsync(ConnectionContext context, CancellationToken cancellationToken)
    {
        if (context.Resumed && Volatile.Read(ref _setUpPending) == 0)
        {
            if (Interlocked.Exchange(ref _rosterOnResume, 0) == 1)
            {
                await RequestRosterAsync(context.Connection, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        Volatile.Write(ref _rosterOnResume, 0);

        // Written stanzas are safe from here: resumption resends what the server did not acknowledge.
        Volatile.Write(ref _setUpPending, 1);
        await RequestRosterAsync(context.Connection, cancellationToken).ConfigureAwait(false);
        if (Volatile.Read(ref _current) is { } current)
        {
            await context.Connection.SendAsync(current with { Id = StanzaId.New() }, cancellationToken).ConfigureAwait(false);
        }
        else if (sendInitialPresence)
        {
            await context.Connection.SendInitialPresenceAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        foreach (var directed in Directed)
        {
            await context.Connection.SendAsync(directed with { Id = StanzaId.New() }, cancellationToken).ConfigureAwait(false);
        }

        Volatile.Write(ref _setUpPending, 0);
    }

    /// <summary>A roster push the session received (RFC 6121 §2.1.6): keeps the cache, and its version, current.</summary>
    public void Pushed(Iq push)
    {
        var version = (string?)push.Query?.Attribute("ver");
        foreach (var item in push.AsRosterPush())
        {
            _roster.Apply(item, version);
        }
    }

    private async Task RequestRosterAsync(IXmppConnection connection, CancellationToken cancellationToken)
    {
        // RFC 6121 §2.6.2: with versioning the client MUST send the version it has (or "" to start).
        var roster = connection.Features.Contains(RosterVersioningFeature)
            ? await connection.GetRosterAsync(_roster.RequestVersion, cancellationToken).ConfigureAwait(false)
            : await connection.GetRosterAsync(cancellationToken).ConfigureAwait(false);
        if (roster.Unchanged)
        {
            // RFC 6121 §2.6.3: nothing changed since our version (or the changes follow as pushes, handled as such).
            connection.UseRoster(_roster.Items);
            return;
        }

        foreach (var changed in _roster.Replace(roster))
        {
            rosterChanged?.Invoke(changed);
        }
    }
}
