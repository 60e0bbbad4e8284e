// XEP-0313: Message Archive Management (v1.1.1) https://xmpp.org/extensions/xep-0313.html
// XEP-0359: Unique and Stable Stanza IDs (v0.7.0) https://xmpp.org/extensions/xep-0359.html
using Gateway.Xmpp.Client;
using Gateway.Xmpp.Diagnostics;
using Gateway.Xmpp.Pool.Journal;
using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Pool;

/// <summary>
/// Keeps a session's incoming messages complete across gaps: whenever a connection starts a new stream after an
/// earlier one (the old stream could not be resumed) or after a gateway restart, it pages through the account's own
/// archive from the cursor — the archive id up to which every message is accounted for, kept in the journal — and
/// publishes what the session never saw, then releases the live messages it held meanwhile, so each sender's messages
/// stay in order. Progress is kept page by page, so a catch-up the connection interrupts continues on the next one.
/// </summary>
/// <remarks>
/// Live messages are admitted here too (<see cref="AcceptLiveAsync(Message, CancellationToken)"/>), under the same lock as the catch-up's pages: a
/// live message the archive holds (it carries our archive's stanza-id) is held while a catch-up runs, left to the
/// next catch-up while a gap is open and none runs (publishing it now would put it before older messages still to
/// come), and published otherwise. Without MAM, or when the archive no longer knows the cursor, it logs and gives up:
/// the gap is then not recoverable from here.
/// </remarks>
internal sealed class ArchiveCatchUp : IConnectionFeature
{
    private const int PageSize = 50;

    private readonly SessionJournal _journal;
    private readonly MessagePublisher _publisher;
    private readonly InboundDeduplicator _deduplicator;
    private readonly ArchiveQueries _queries;
    private readonly ILogger _logger;
    private readonly TimeSpan _iqTimeout;
    private readonly SemaphoreSlim _publishing = new(1, 1);
    private readonly bool _restored;
    private readonly TimeProvider _time;
    private string? _cursor;

    /// <summary>
    /// Where a catch-up starts when no cursor was ever learned (see <see cref="OnConnectedAsync"/>): the first
    /// connection's time, less the clock skew margin; null otherwise.
    /// </summary>
    private DateTimeOffset? _gapStart;
    private DateTimeOffset? _firstConnectedAt;
    private string? _latest;
    private volatile bool _gapPending;
    private bool _hadConnection;
    private bool _catchingUp;

    /// <summary>Live messages (and whether each is a carbon copy) received while a catch-up runs, published after it; null when none runs.</summary>
    private List<(Message Message, CarbonDirection? Carbon)>? _held;

    /// <param name="journal">The session's journal (the cursor is committed there).</param>
    /// <param name="publisher">Publishes what the archive and the stream bring.</param>
    /// <param name="deduplicator">Kept from forgetting while a catch-up runs.</param>
    /// <param name="queries">Runs the archive queries.</param>
    /// <param name="cursor">Where a restored session's journal says it stands; null for a new session.</param>
    /// <param name="restored">The session existed in an earlier gateway process: its first connection catches up.</param>
    /// <param name="iqTimeout">How long one page may take.</param>
    /// <param name="logger">Where it logs.</param>
    /// <param name="time">The clock (when the session first connected); null: the system clock.</param>
    public ArchiveCatchUp(SessionJournal journal, MessagePublisher publisher, InboundDeduplicator deduplicator, ArchiveQueries queries, string? cursor, bool restored, TimeSpan iqTimeout, ILogger logger, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _journal = journal;
        _publisher = publisher;
        _deduplicator = deduplicator;
        _queries = queries;
        _cursor = cursor;
        _latest = cursor;
        _restored = restored;
        _iqTimeout = iqTimeout;
        _logger = logger;
    }

    /// <summary>The archive id up to which every message is accounted for; null before the session knows any.</summary>
    public string? Cursor => Volatile.Read(ref _cursor);

    /// <summary>
    /// The newest archive id the session has learned (from live messages, catch-up pages or the archive's metadata):
    /// a lower bound for where anything sent from now on will be archived.
    /// </summary>
    public string? Latest => Volatile.Read(ref _latest);

    /// <summary>Whether a gap is open: messages may be missing until a catch-up completes.</summary>
    public bool GapPending => _gapPending;

    public ValueTask OnConnectedAsync(ConnectionContext context, CancellationToken cancellationToken)
    {
        _queries.Attach(context.Connection);

        // A new stream after an earlier one (this process's, or the previous process's) may have missed messages.
        if (!context.Resumed && Cursor is not null && (_hadConnection || _restored))
        {
            _gapPending = true;
        }
        else if (!context.Resumed && Cursor is null && _hadConnection && _firstConnectedAt is { } first)
        {
            // No cursor yet after an earlier stream: that stream ended before the archive's end was learned and before
            // a live message with a trusted archive id arrived (e.g. cut before the server said whether it stamps
            // stanza-ids). Taking the archive's end now would skip whatever the session missed in between; catch up
            // from when the session first connected instead (XEP-0313 §4.1.3 'start'; repeats are dropped).
            _gapPending = true;
            _gapStart = first - SentMessageLookup.ClockSkewMargin;
        }

        _firstConnectedAt ??= _time.GetUtcNow();
        _hadConnection = true;
        _catchingUp = _gapPending;
        if (_catchingUp)
        {
            _deduplicator.Pin();

            // Nothing else runs for this session now: the previous connection's parts have all returned.
            _held = [];
        }

        return ValueTask.CompletedTask;
    }

    public async Task RunAsync(ConnectionContext context, CancellationToken cancellationToken)
    {
        using var link = context.LinkEnded(cancellationToken, out var token);
        if (_catchingUp)
        {
            await CatchUpAsync(context.Connection, token).ConfigureAwait(false);
        }
        else if (Cursor is null && !context.Resumed)
        {
            await LearnArchiveEndAsync(context.Connection, token).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The question a live message makes the stream ask before it can be admitted (XEP-0359 §4, see
    /// <see cref="StanzaIdTrust.QuestionFor"/>); the caller waits for it before <see cref="AcceptLiveAsync(Message, CancellationToken)"/>.
    /// </summary>
    public StanzaIdTrust.Question? QuestionFor(Message message, CancellationToken cancellationToken) => _deduplicator.QuestionFor(message, cancellationToken);

    /// <summary>
    /// Admits a message that arrived on the stream: published, held for after the running catch-up, or left to the next
    /// catch-up (see the remarks). Waits while the journal is full.
    /// </summary>
    public ValueTask AcceptLiveAsync(Message message, CancellationToken cancellationToken) => AcceptLiveAsync(message, carbon: null, cancellationToken);

    /// <summary>Admits a live message, or the message of a XEP-0280 carbon copy (<paramref name="carbon"/> set).</summary>
    public async ValueTask AcceptLiveAsync(Message message, CarbonDirection? carbon, CancellationToken cancellationToken)
    {
        await _publishing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await AdmitAsync(message, carbon, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _publishing.Release();
        }
    }

    /// <summary>Call under <see cref="_publishing"/>.</summary>
    private async ValueTask AdmitAsync(Message message, CarbonDirection? carbon, CancellationToken cancellationToken)
    {
        // XEP-0359: only a stanza-id the server is known to stamp (and to strip when forged) is an archive id.
        // Judged with what is known: the caller waited for the stream's answer first (QuestionFor), outside this lock.
        var archiveId = _deduplicator.ArchiveIdOf(message);
        if (archiveId is not null)
        {
            Volatile.Write(ref _latest, archiveId);
        }

        if (archiveId is not null && _held is { } held)
        {
            held.Add((message, carbon));
            return;
        }

        if (archiveId is not null && _gapPending)
        {
            return;
        }

        await _publisher.PublishAsync(message, archiveId, carbon, cancellationToken).ConfigureAwait(false);
        if (archiveId is not null)
        {
            Advance(archiveId);
        }
    }

    private void Advance(string archiveId)
    {
        _gapStart = null;
        Volatile.Write(ref _cursor, archiveId);
        _journal.AdvanceArchiveCursor(archiveId);
    }

    /// <summary>
    /// A new session has no cursor: take the archive's newest id as the start (XEP-0313 §6.2 metadata), so that a gap
    /// later — even after a restart — has a point to catch up from. Everything before it predates the session.
    /// </summary>
    private async Task LearnArchiveEndAsync(IXmppConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            var end = MamElements.ReadLastArchiveId(await connection.SendIqAsync(MamElements.MetadataRequest(), _iqTimeout, cancellationToken).ConfigureAwait(false));
            await _publishing.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (end is not null && Cursor is null)
                {
                    Volatile.Write(ref _latest, end);
                    Advance(end);
                }
            }
            finally
            {
                _publishing.Release();
            }
        }
        catch (StanzaErrorException ex)
        {
            // No MAM metadata (older servers, or no archive at all): the cursor starts with the first archived message
            // received instead. Nothing is missing yet, so no warning: that comes if a gap ever cannot be filled.
            Log.ArchiveEndUnknown(_logger, _journal.Tenant, _journal.SessionId, ex.Error.Condition.ToWire());
        }
        catch (Exception ex) when (ex is XmppException or OperationCanceledException)
        {
        }
    }

    private async Task CatchUpAsync(IXmppConnection connection, CancellationToken cancellationToken)
    {
        var completed = false;
        try
        {
            while (true)
            {
                var after = Cursor;
                (IReadOnlyList<ArchivedMessage> Results, ArchivePage Page) page;
                try
                {
                    // By time only for the first page, without 'after': Prosody 0.12 looks an 'after' id up among the
                    // filtered results (see SentMessageLookup); the pages after it go on from the cursor it set.
                    var query = after is null && _gapStart is { } start ? new ArchiveQuery(PageSize) { Start = start } : new ArchiveQuery(PageSize) { After = after };
                    page = await _queries.QueryPageAsync(connection, query, _iqTimeout, cancellationToken).ConfigureAwait(false);
                }
                catch (XmppTimeoutException) when (connection.IsConnected)
                {
                    // A busy server; ask for the same page again (late results of this query are dropped).
                    continue;
                }

                var published = 0;
                await _publishing.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    foreach (var archived in page.Results)
                    {
                        Volatile.Write(ref _latest, archived.ArchiveId);
                        if (archived.Message.From?.Bare != _queries.Account && await _publisher.PublishAsync(archived.Message, archived.ArchiveId, cancellationToken).ConfigureAwait(false))
                        {
                            published++;
                        }
                    }

                    var next = page.Page.Last ?? (page.Results.Count > 0 ? page.Results[^1].ArchiveId : after);
                    if (next is not null && next != after)
                    {
                        Advance(next);
                    }

                    // No progress (an empty page, or a server that keeps answering the same page) ends it too.
                    completed = page.Page.Complete || page.Results.Count == 0 || next == after;
                    if (completed)
                    {
                        _gapPending = false;
                    }
                }
                finally
                {
                    _publishing.Release();
                }

                Log.CaughtUp(_logger, _journal.Tenant, _journal.SessionId, page.Results.Count, published);
                if (completed)
                {
                    return;
                }
            }
        }
        catch (StanzaErrorException ex)
        {
            Log.CatchUpUnavailable(_logger, _journal.Tenant, _journal.SessionId, ex.Error.Condition.ToWire());
            // Nothing more can be recovered; carrying on live is all that is left.
            _gapPending = false;
            completed = true;
        }
        catch (Exception ex) when (ex is XmppException or OperationCanceledException)
        {
            // The connection ended mid catch-up; the next connection catches up again from the cursor.
        }
        finally
        {
            await ReleaseHeldAsync(completed).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Ends holding: after a completed catch-up every held message is published (repeats of what the catch-up published
    /// are dropped); after an interrupted one they are admitted with the gap still open, i.e. left to the next catch-up.
    /// </summary>
    private async Task ReleaseHeldAsync(bool caughtUp)
    {
        // Not cancellable: held messages must not be lost, and the journal always makes room eventually.
        await _publishing.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            var held = _held ?? [];
            _held = null;
            _catchingUp = false;
            Log.HeldReleased(_logger, _journal.Tenant, _journal.SessionId, held.Count, caughtUp);
            foreach (var (message, carbon) in held)
            {
                await AdmitAsync(message, carbon, CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            _publishing.Release();
            _deduplicator.Unpin();
        }
    }
}
