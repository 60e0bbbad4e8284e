// XEP-0198: Stream Management (v1.6.1) https://xmpp.org/extensions/xep-0198.html
using System.Globalization;
using System.Xml.Linq;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp.StreamManagement;

/// <summary>
/// The counters of XEP-0198 on one stream: stanzas we handled (answered with &lt;a h=''/&gt;) and stanzas we
/// sent that the server has not acknowledged yet. Pure bookkeeping, no I/O; thread-safe.
/// </summary>
/// <remarks>
/// A received stanza counts as handled (§4: the 'h' we report) at once, unless it was handed to a consumer that
/// acknowledges it later (<see cref="CountInbound"/> with <c>awaitsConsumer</c>): then 'h' stops just before it
/// until <see cref="AcknowledgeInbound"/> says the consumer is done with it. 'h' is a count, so it can only cover an
/// unbroken prefix of the stream: a stanza handled at once behind one still awaited waits for it.
/// </remarks>
internal sealed class StreamManagementState
{
    private static readonly XNamespace SmNs = Ns.StreamManagement;
    public static readonly XName EnableName = SmNs + "enable";
    public static readonly XName EnabledName = SmNs + "enabled";
    public static readonly XName FailedName = SmNs + "failed";
    public static readonly XName RequestName = SmNs + "r";
    public static readonly XName AnswerName = SmNs + "a";
    public static readonly XName ResumedName = SmNs + "resumed";

    private readonly object _gate = new();
    private readonly Queue<Unacked> _unacked = new();

    /// <summary>
    /// Stanzas handed to the consumer and not acknowledged by it yet, oldest first: each with the count at which it was
    /// received, or uncounted (one that arrived before stream management was enabled, §4: it never counts).
    /// </summary>
    private readonly Queue<(uint Sequence, bool Counted)> _awaitingConsumer = new();
    private int _countedAwaiting;
    private uint _inboundReceived;
    private uint _outboundSent;
    private uint _outboundAcked;
    /// <summary>Requests (&lt;r/&gt;) out at most: the second only for a caller who waits (<see cref="TryBeginAckRequest"/>).</summary>
    public const int MaxRequestsOut = 2;

    private int _requestsOut;

    /// <summary>Stanzas sent when the latest request was begun: its answer acknowledges at least these.</summary>
    private uint _latestRequestCovers;
    private bool _detached; // guarded by _gate: Detach handed the unacknowledged stanzas to another stream

    /// <summary>The 'h' of our last &lt;a/&gt;; when the server asked while stanzas awaited the consumer, a later one is owed.</summary>
    private uint _lastAnswered;
    private bool _answerOwed;

    public StreamManagementState(string? resumptionId, bool resumable, uint inboundHandled = 0, uint outboundAcked = 0, int? maxResumeSeconds = null)
    {
        ResumptionId = resumptionId;
        Resumable = resumable;
        MaxResumeSeconds = maxResumeSeconds;
        _inboundReceived = inboundHandled;
        _lastAnswered = inboundHandled;
        _outboundSent = outboundAcked;
        _outboundAcked = outboundAcked;
    }

    /// <summary>XEP-0198 §5: the id to resume this stream with, when the server allowed resumption.</summary>
    public string? ResumptionId { get; }

    public bool Resumable { get; }

    /// <summary>XEP-0198 §5: the 'max' of &lt;enabled/&gt;, how long the server keeps the stream for resumption, when it said.</summary>
    public int? MaxResumeSeconds { get; }

    /// <summary>
    /// The 'h' we report (§4): stanzas received and handled since enabling, modulo 2^32 — received, minus those a
    /// consumer still has to acknowledge and everything after the oldest of them.
    /// </summary>
    public uint InboundHandled
    {
        get
        {
            lock (_gate)
            {
                return HandledLocked();
            }
        }
    }

    public int UnackedCount
    {
        get
        {
            lock (_gate)
            {
                return _unacked.Count;
            }
        }
    }

    /// <summary>Stanzas received that a consumer has not acknowledged yet.</summary>
    public int AwaitingConsumer
    {
        get
        {
            lock (_gate)
            {
                return _awaitingConsumer.Count;
            }
        }
    }

    /// <summary>
    /// Counts one stanza received (XEP-0198 §4: every message, presence and iq counts). With
    /// <paramref name="awaitsConsumer"/> it is handled only once <see cref="AcknowledgeInbound"/> says so.
    /// </summary>
    public void CountInbound(bool awaitsConsumer = false)
    {
        lock (_gate)
        {
            unchecked
            {
                _inboundReceived++;
            }

            if (awaitsConsumer)
            {
                _awaitingConsumer.Enqueue((_inboundReceived, true));
                _countedAwaiting++;
            }
        }
    }

    /// <summary>A stanza handed to the consumer that does not count (§4: it arrived before enabling), so that the consumer's acknowledgements stay in step.</summary>
    public void DeliverUncounted()
    {
        lock (_gate)
        {
            _awaitingConsumer.Enqueue((0, false));
        }
    }

    /// <summary>
    /// The consumer is done with its <paramref name="count"/> oldest unacknowledged stanzas. Returns the &lt;a/&gt; to send
    /// now when the server asked while they were outstanding (§4 lets a client send &lt;a/&gt; at any time), so its queue
    /// of unacknowledged stanzas does not keep growing; null when none is owed.
    /// </summary>
    public XElement? AcknowledgeInbound(int count)
    {
        lock (_gate)
        {
            for (var i = 0; i < count && _awaitingConsumer.TryDequeue(out var acknowledged); i++)
            {
                if (acknowledged.Counted)
                {
                    _countedAwaiting--;
                }
            }

            var handled = HandledLocked();
            if (!_answerOwed || handled == _lastAnswered)
            {
                return null;
            }

            _answerOwed = HasCountedAwaiting();
            _lastAnswered = handled;
            return AnswerElement(handled);
        }
    }

    /// <summary>
    /// Records a stanza as sent; call in write order (under the connection's write lock). A stanza resent
    /// from an earlier stream keeps the completion its sender is waiting on.
    /// </summary>
    public Task OnSent(Stanza stanza, TaskCompletionSource? acknowledged = null)
    {
        lock (_gate)
        {
            unchecked
            {
                _outboundSent++;
            }

            var entry = new Unacked(stanza, acknowledged ?? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            _unacked.Enqueue(entry);
            return entry.Acknowledged.Task;
        }
    }

    /// <summary>
    /// Takes the unacknowledged stanzas (with their pending completions) and the counters out of this state,
    /// for a resumed or new stream to carry on (XEP-0198 §5). Nothing is failed.
    /// </summary>
    public (IReadOnlyList<PendingAcknowledgement> Unacked, uint OutboundAcked, uint InboundHandled) Detach()
    {
        lock (_gate)
        {
            var pending = _unacked.Select(u => new PendingAcknowledgement(u.Stanza, u.Acknowledged)).ToArray();
            _unacked.Clear();
            _detached = true;
            return (pending, _outboundAcked, HandledLocked());
        }
    }

    /// <summary>
    /// Applies the server's &lt;a h='N'/&gt;: every stanza up to N is acknowledged. Throws when the server
    /// acknowledges more than we sent, or fewer than it already did (XEP-0198 §4: handled-count-too-high; the
    /// stream then ends).
    /// </summary>
    public void OnAcknowledged(uint handled)
    {
        List<Unacked> completed = [];
        lock (_gate)
        {
            if (_detached)
            {
                // An answer read after the stanzas moved on to the next stream (the reader was still draining this one):
                // that stream settles them with the count the server reports when it resumes (§5) or they are looked up.
                // Applying it here would find nothing to acknowledge and end the stream as a protocol violation.
                return;
            }

            // The server answers each <r/> with one <a/>, in order (§4). An unsolicited <a/> (§4 allows one at any
            // time) counted here only lets one more request out early.
            if (_requestsOut > 0)
            {
                _requestsOut--;
            }

            var newlyAcked = unchecked(handled - _outboundAcked);
            if (newlyAcked > (uint)_unacked.Count)
            {
                throw new XmppProtocolException(StreamErrorCondition.UndefinedCondition,
                    $"handled-count-too-high: the server acknowledged {handled} stanzas, but {_outboundAcked} were acknowledged before and only {_outboundSent} were sent (XEP-0198 §4).");
            }

            for (var i = 0u; i < newlyAcked; i++)
            {
                completed.Add(_unacked.Dequeue());
            }

            _outboundAcked = handled;
        }

        foreach (var entry in completed)
        {
            entry.Acknowledged.TrySetResult();
        }
    }

    /// <summary>
    /// Whether to send &lt;r/&gt; now: something is unacknowledged and no request is out; or, for a caller who waits
    /// (<paramref name="forWaitingCaller"/>), one is out that does not cover what was sent since, and no second.
    /// </summary>
    /// <remarks>
    /// Why a second: the answer to the request out does not cover stanzas written after it, so a caller waiting on one
    /// of those would wait for that answer and then a whole round trip more. A second request saves it that second
    /// round (in seven alternating load runs on a noisy machine: 6% more acknowledged sends per second at 16 waiting
    /// callers, nothing measurable at 64; see benchmarks.md). Why not more: a request with every waiting write made
    /// the server's cost per message collapse at 64 callers.
    /// </remarks>
    public bool TryBeginAckRequest(bool forWaitingCaller = false)
    {
        lock (_gate)
        {
            if (_unacked.Count == 0)
            {
                return false;
            }

            if (_requestsOut > 0 && !(forWaitingCaller && _requestsOut < MaxRequestsOut && _latestRequestCovers != _outboundSent))
            {
                return false;
            }

            _requestsOut++;
            _latestRequestCovers = _outboundSent;
            return true;
        }
    }

    /// <summary>The stanzas not acknowledged yet, oldest first (to resend after a new session, XEP-0198 §5).</summary>
    public IReadOnlyList<Stanza> UnackedStanzas()
    {
        lock (_gate)
        {
            return [.. _unacked.Select(u => u.Stanza)];
        }
    }

    /// <summary>Fails every pending acknowledgement: the stream is gone and nobody will resend.</summary>
    public void FailAll(Exception exception)
    {
        Unacked[] pending;
        lock (_gate)
        {
            pending = [.. _unacked];
        }

        foreach (var entry in pending)
        {
            entry.Acknowledged.TrySetException(exception);
        }
    }

    /// <summary>XEP-0198 §5: asks the server to resume the stream it kept for <paramref name="previousId"/>.</summary>
    public static XElement Resume(string previousId, uint inboundHandled) => new(
        SmNs + "resume",
        new XAttribute("previd", previousId),
        new XAttribute("h", inboundHandled.ToString(CultureInfo.InvariantCulture)));

    public static XElement Enable(bool resume) =>
        new(EnableName, resume ? new XAttribute("resume", "true") : null);

    /// <summary>The answer to the server's &lt;r/&gt; (§4). When stanzas still await the consumer, a fresher one is owed later.</summary>
    public XElement Answer()
    {
        lock (_gate)
        {
            var handled = HandledLocked();
            _lastAnswered = handled;
            _answerOwed = HasCountedAwaiting();
            return AnswerElement(handled);
        }
    }

    public static XElement Request() => new(RequestName);

    /// <summary>Parses the 'h' attribute of &lt;a/&gt; or &lt;resumed/&gt; (XEP-0198 §4: an unsigned 32-bit integer).</summary>
    public static uint ParseHandled(XElement answer) =>
        TryParseHandled(answer) ?? throw new XmppProtocolException(StreamErrorCondition.BadFormat, $"The server's <{answer.Name.LocalName}/> has no valid 'h' attribute (XEP-0198 §4).");

    /// <summary>The 'h' attribute when present and valid (optional on &lt;failed/&gt;, XEP-0198 §5).</summary>
    public static uint? TryParseHandled(XElement element) =>
        uint.TryParse((string?)element.Attribute("h"), NumberStyles.None, CultureInfo.InvariantCulture, out var h) ? h : null;

    private uint HandledLocked()
    {
        if (_countedAwaiting == 0)
        {
            return _inboundReceived;
        }

        // Uncounted entries can only lead the queue (they arrive before enabling), so this stops within a few steps.
        foreach (var (sequence, counted) in _awaitingConsumer)
        {
            if (counted)
            {
                return unchecked(sequence - 1);
            }
        }

        return _inboundReceived;
    }

    private bool HasCountedAwaiting() => _countedAwaiting > 0;

    private static XElement AnswerElement(uint handled) => new(AnswerName, new XAttribute("h", handled.ToString(CultureInfo.InvariantCulture)));

    private sealed record Unacked(Stanza Stanza, TaskCompletionSource Acknowledged);
}

/// <summary>A stanza sent on an earlier stream that the server has not acknowledged, with the completion its sender awaits.</summary>
internal sealed record PendingAcknowledgement(Stanza Stanza, TaskCompletionSource Acknowledged);
