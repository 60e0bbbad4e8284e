using System.Diagnostics.Metrics;
using Gateway.Xmpp.Pool;

namespace Gateway.Xmpp.Diagnostics;

/// <summary>
/// The pool's instruments, on the meter <see cref="MeterName"/> (System.Diagnostics.Metrics only: the library takes no
/// OpenTelemetry dependency; an exporter subscribes by the meter's name). Names, units and tags are listed in
/// docs/observability.md and are a contract like the log event names.
/// </summary>
/// <remarks>
/// Hot paths (a stanza written or read) cost one <c>Counter.Add</c>, which returns at once while nothing listens, with a
/// tag that is a preallocated pair: no array, no boxing per call. Whatever needs all sessions (counts by state, queue
/// depths) is an observable instrument whose callback runs only when a collector asks.
/// </remarks>
internal sealed class XmppMetrics : IDisposable
{
    /// <summary>The meter's name: what an exporter or <c>dotnet-counters</c> subscribes to.</summary>
    public const string MeterName = XmppTelemetry.MeterName;

    private static readonly KeyValuePair<string, object?> KindMessage = new("kind", "message");
    private static readonly KeyValuePair<string, object?> KindPresence = new("kind", "presence");
    private static readonly KeyValuePair<string, object?> KindIq = new("kind", "iq");
    private static readonly KeyValuePair<string, object?> KindOther = new("kind", "other");
    private static readonly KeyValuePair<string, object?> OutcomeInitial = new("outcome", "initial");
    private static readonly KeyValuePair<string, object?> OutcomeResumed = new("outcome", "resumed");
    private static readonly KeyValuePair<string, object?> OutcomeRebound = new("outcome", "rebound");

    /// <summary>Group commits take from well under a millisecond (in memory, page cache) to a second (a stalled disk).</summary>
    private static readonly IReadOnlyList<double> CommitSeconds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

    private static readonly IReadOnlyList<int> CommitEntries = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

    /// <summary>
    /// A stanza's way out: a tenth of a millisecond (an idle gateway on loopback) to seconds (pacing behind a slow
    /// server, a deferred acknowledgement request, a stalled store).
    /// </summary>
    private static readonly IReadOnlyList<double> OutboundSeconds = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _sent;
    private readonly Counter<long> _received;
    private readonly Counter<long> _acknowledged;
    private readonly Counter<long> _connections;
    private readonly Counter<long> _connectionsLost;
    private readonly Histogram<double> _commitDuration;
    private readonly Histogram<int> _commitEntries;
    private readonly Histogram<double> _handoff;
    private readonly Histogram<double> _acknowledgement;

    /// <param name="meterFactory">The host's meter factory (it owns the meter); null: a meter of our own, disposed with this.</param>
    /// <param name="sessionsByState">The number of sessions in each state, computed when collected.</param>
    /// <param name="queued">Stanzas accepted and not yet written, over all sessions.</param>
    /// <param name="unacknowledged">Stanzas written and not yet acknowledged by the server (XEP-0198), over all sessions.</param>
    public XmppMetrics(IMeterFactory? meterFactory, Func<IEnumerable<Measurement<int>>> sessionsByState, Func<long> queued, Func<long> unacknowledged)
    {
        ArgumentNullException.ThrowIfNull(sessionsByState);
        ArgumentNullException.ThrowIfNull(queued);
        ArgumentNullException.ThrowIfNull(unacknowledged);
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);

        // Up-down counters rather than gauges: counts of sessions and stanzas add up across gateway instances.
        _meter.CreateObservableUpDownCounter("gateway.xmpp.sessions", sessionsByState, "{session}", "Sessions in the pool, by state.");
        _meter.CreateObservableUpDownCounter("gateway.xmpp.outbound.queued", queued, "{stanza}", "Stanzas accepted and waiting to be written.");
        _meter.CreateObservableUpDownCounter("gateway.xmpp.outbound.unacknowledged", unacknowledged, "{stanza}", "Stanzas written and not yet acknowledged by the server (XEP-0198).");
        _sent = _meter.CreateCounter<long>("gateway.xmpp.stanzas.sent", "{stanza}", "Stanzas written to a server connection, by kind.");
        _received = _meter.CreateCounter<long>("gateway.xmpp.stanzas.received", "{stanza}", "Stanzas read from a server connection, by kind.");
        _acknowledged = _meter.CreateCounter<long>("gateway.xmpp.stanzas.acknowledged", "{stanza}", "Stanzas the server acknowledged (XEP-0198 <a/>).");
        _connections = _meter.CreateCounter<long>("gateway.xmpp.connections", "{connection}", "Connections that came online: initial, resumed (XEP-0198 resumption) or rebound (a new stream after a lost one).");
        _connectionsLost = _meter.CreateCounter<long>("gateway.xmpp.connections.lost", "{connection}", "Connections that ended unasked; the session reconnects.");
        _commitDuration = _meter.CreateHistogram("gateway.xmpp.journal.commit.duration", "s", "How long one group commit of the journal took in the store.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = CommitSeconds });
        _commitEntries = _meter.CreateHistogram("gateway.xmpp.journal.commit.entries", "{entry}", "Entries (events, outbox changes, cursors) in one group commit.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = CommitEntries });
        _handoff = _meter.CreateHistogram("gateway.xmpp.outbound.handoff.duration", "s", "From a send's admission to its write on a server connection: pacing, the outbox commit and the queue.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = OutboundSeconds });
        _acknowledgement = _meter.CreateHistogram("gateway.xmpp.outbound.acknowledgement.duration", "s", "From a stanza's write to the server's XEP-0198 acknowledgement of it.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = OutboundSeconds });
    }

    /// <summary>The pair to tag a session count with its state.</summary>
    public static KeyValuePair<string, object?> StateTag(SessionState state) => state switch
    {
        SessionState.Connecting => StateConnecting,
        SessionState.Online => StateOnline,
        SessionState.Reconnecting => StateReconnecting,
        SessionState.Stopped => StateStopped,
        _ => StateFailed,
    };

    private static readonly KeyValuePair<string, object?> StateConnecting = new("state", "connecting");
    private static readonly KeyValuePair<string, object?> StateOnline = new("state", "online");
    private static readonly KeyValuePair<string, object?> StateReconnecting = new("state", "reconnecting");
    private static readonly KeyValuePair<string, object?> StateStopped = new("state", "stopped");
    private static readonly KeyValuePair<string, object?> StateFailed = new("state", "failed");

    public void Sent(Stanza stanza) => _sent.Add(1, KindOf(stanza));

    public void Received(Stanza stanza) => _received.Add(1, KindOf(stanza));

    /// <summary>A stanza was written to a connection <paramref name="sinceAdmitted"/> after its send was admitted.</summary>
    public void HandedOff(TimeSpan sinceAdmitted) => _handoff.Record(sinceAdmitted.TotalSeconds);

    /// <summary>The server acknowledged a stanza, <paramref name="sinceWritten"/> after it was written (null: written by an earlier connection of unknown time).</summary>
    public void Acknowledged(TimeSpan? sinceWritten)
    {
        _acknowledged.Add(1);
        if (sinceWritten is { } elapsed)
        {
            _acknowledgement.Record(elapsed.TotalSeconds);
        }
    }

    /// <summary>A connection came online: the first of the session, a resumed stream, or a new one after a loss.</summary>
    public void ConnectionUp(int number, bool resumed) =>
        _connections.Add(1, number == 1 && !resumed ? OutcomeInitial : resumed ? OutcomeResumed : OutcomeRebound);

    public void ConnectionLost() => _connectionsLost.Add(1);

    public void Committed(TimeSpan elapsed, int entries)
    {
        _commitDuration.Record(elapsed.TotalSeconds);
        _commitEntries.Record(entries);
    }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private static KeyValuePair<string, object?> KindOf(Stanza stanza) => stanza switch
    {
        Message => KindMessage,
        Presence => KindPresence,
        Iq => KindIq,
        _ => KindOther,
    };
}
