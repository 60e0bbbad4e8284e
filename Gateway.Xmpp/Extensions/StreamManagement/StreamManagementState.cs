// XEP-0198: Stream Management (v1.6.1) https://xmpp.org/extensions/xep-0198.html
using System.Globalization;
using System.Xml.Linq;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp.StreamManagement;

/// <summary>
/// The counters of XEP-0198 on one stream: stanzas we handled (answered with &lt;a h=''/&gt;) and stanzas we
/// sent that the server has not acknowledged yet. Pure bookkeeping, no I/O; thread-safe.
/// </summary>
internal sealed class StreamManagementState
{
    private static readonly XNamespace SmNs = Ns.StreamManagement;
    public static readonly XName EnableName = SmNs + "enable";
    public static readonly XName EnabledName = SmNs + "enabled";
    public static readonly XName FailedName = SmNs + "failed";
    public static readonly XName RequestName = SmNs + "r";
    public static readonly XName AnswerName = SmNs + "a";

    private readonly object _gate = new();
    private readonly Queue<Unacked> _unacked = new();
    private uint _inboundHandled;
    private uint _outboundSent;
    private uint _outboundAcked;
    private bool _requestOutstanding;

    public StreamManagementState(string? resumptionId, bool resumable, uint inboundHandled = 0, uint outboundAcked = 0)
    {
        ResumptionId = resumptionId;
        Resumable = resumable;
        _inboundHandled = inboundHandled;
        _outboundSent = outboundAcked;
        _outboundAcked = outboundAcked;
    }

    /// <summary>XEP-0198 §5: the id to resume this stream with, when the server allowed resumption.</summary>
    public string? ResumptionId { get; }

    public bool Resumable { get; }

    /// <summary>Stanzas received and handled since enabling (the 'h' we report), modulo 2^32 (§4).</summary>
    public uint InboundHandled
    {
        get
        {
            lock (_gate)
            {
                return _inboundHandled;
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

    /// <summary>Counts one stanza received (XEP-0198 §4: every message, presence and iq counts).</summary>
    public void CountInbound()
    {
        lock (_gate)
        {
            unchecked
            {
                _inboundHandled++;
            }
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
            return (pending, _outboundAcked, _inboundHandled);
        }
    }

    /// <summary>
    /// Applies the server's &lt;a h='N'/&gt;: every stanza up to N is acknowledged. Throws when the server
    /// acknowledges more than we sent (XEP-0198 §4: the stream then ends with undefined-condition).
    /// </summary>
    public void OnAcknowledged(uint handled)
    {
        List<Unacked> completed = [];
        lock (_gate)
        {
            _requestOutstanding = false;
            var newlyAcked = unchecked(handled - _outboundAcked);
            if (newlyAcked > (uint)_unacked.Count)
            {
                throw new XmppProtocolException(StreamErrorCondition.UndefinedCondition,
                    $"The server acknowledged {handled} stanzas but only {_outboundSent} were sent (XEP-0198 §4).");
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

    /// <summary>Whether to send &lt;r/&gt; now: something is unacknowledged and no request is already out.</summary>
    public bool TryBeginAckRequest()
    {
        lock (_gate)
        {
            if (_requestOutstanding || _unacked.Count == 0)
            {
                return false;
            }

            _requestOutstanding = true;
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

    public static readonly XName ResumedName = SmNs + "resumed";

    public static XElement Enable(bool resume) =>
        new(EnableName, resume ? new XAttribute("resume", "true") : null);

    public XElement Answer() => new(AnswerName, new XAttribute("h", InboundHandled.ToString(CultureInfo.InvariantCulture)));

    public static XElement Request() => new(RequestName);

    /// <summary>Parses the 'h' attribute of &lt;a/&gt; (XEP-0198 §4: an unsigned 32-bit integer).</summary>
    public static uint ParseHandled(XElement answer) =>
        uint.TryParse((string?)answer.Attribute("h"), NumberStyles.None, CultureInfo.InvariantCulture, out var h)
            ? h
            : throw new XmppProtocolException(StreamErrorCondition.BadFormat, "The server's <a/> has no valid 'h' attribute (XEP-0198 §4).");

    private sealed record Unacked(Stanza Stanza, TaskCompletionSource Acknowledged);
}

/// <summary>A stanza sent on an earlier stream that the server has not acknowledged, with the completion its sender awaits.</summary>
internal sealed record PendingAcknowledgement(Stanza Stanza, TaskCompletionSource Acknowledged);
