using System.Threading.Channels;
using Gateway.Xmpp;

namespace Gateway.Tests.Fakes;

/// <summary>
/// An <see cref="IXmppConnection"/> without a socket, for the runtime's parts: records what is written, lets a test
/// deliver incoming stanzas, acknowledge (XEP-0198) written ones, fail the next write, and end the stream.
/// </summary>
internal sealed class FakeConnection : IXmppConnection
{
    private readonly Channel<Stanza> _incoming;
    private readonly TaskCompletionSource<XmppException?> _terminated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<(Stanza Stanza, TaskCompletionSource Acknowledged)> _unacknowledged = [];
    private readonly List<Func<Message, bool>> _filters = [];
    private readonly object _gate = new();
    private Func<IReadOnlyList<Stanza>, Exception?>? _failNextWrite;

    /// <param name="streamManagement">Whether XEP-0198 is on.</param>
    /// <param name="resumed">Whether the stream was resumed.</param>
    /// <param name="incomingCapacity">
    /// Bounds the incoming queue as the real connection's is (0: unbounded); <see cref="DeliverAsync"/> then waits while it
    /// is full, as the real reader does, so what follows in the stream cannot be read meanwhile.
    /// </param>
    public FakeConnection(bool streamManagement = true, bool resumed = false, int incomingCapacity = 0)
    {
        _incoming = incomingCapacity > 0 ? Channel.CreateBounded<Stanza>(incomingCapacity) : Channel.CreateUnbounded<Stanza>();
        IsStreamManagementEnabled = streamManagement;
        Resumed = resumed;
    }

    public Jid Jid { get; init; } = Jid.Parse("me@example.com/r");

    public bool IsConnected => !_terminated.Task.IsCompleted;

    public bool Resumed { get; }

    public bool IsStreamManagementEnabled { get; }

    public Task<XmppException?> Terminated => _terminated.Task;

    public ChannelReader<Stanza> Incoming => _incoming.Reader;

    /// <summary>Every write, in order: the stanzas of each batch.</summary>
    public List<IReadOnlyList<Stanza>> Writes { get; } = [];

    /// <summary>How many writes asked for an acknowledgement (XEP-0198 &lt;r/&gt;).</summary>
    public int AcknowledgementRequests { get; private set; }

    /// <summary>The sum of the counts passed to <see cref="AcknowledgeIncoming"/>.</summary>
    public int IncomingAcknowledged { get; private set; }

    public IqRequestHandler? FallbackIqHandler { get; private set; }

    /// <summary>The payload-specific IQ handlers parts registered.</summary>
    public Dictionary<System.Xml.Linq.XName, IqRequestHandler> IqHandlers { get; } = [];

    public void SetIqHandler(System.Xml.Linq.XName payloadName, IqRequestHandler handler, string? discoFeature = null) => IqHandlers[payloadName] = handler;

    /// <summary>Who <see cref="MaySeePresence"/> admits; everyone unless a test says otherwise.</summary>
    public Func<Jid?, bool> PresenceAudience { get; init; } = static _ => true;

    public bool MaySeePresence(Jid? entity) => PresenceAudience(entity);

    /// <summary>The stream features the fake server offered.</summary>
    public IReadOnlySet<System.Xml.Linq.XName> Features { get; init; } = new HashSet<System.Xml.Linq.XName>();

    public List<string> DiscoFeatures { get; } = [];

    public IEnumerable<Stanza> Written
    {
        get
        {
            lock (_gate)
            {
                return [.. Writes.SelectMany(w => w)];
            }
        }
    }

    /// <summary>Makes the next write fail with what <paramref name="fail"/> returns for its stanzas (null: succeed).</summary>
    public void FailNextWrite(Func<IReadOnlyList<Stanza>, Exception?> fail) => _failNextWrite = fail;

    public void Deliver(Stanza stanza)
    {
        if (stanza is Message message)
        {
            lock (_gate)
            {
                if (_filters.Any(f => f(message)))
                {
                    return;
                }
            }
        }

        _incoming.Writer.TryWrite(stanza);
    }

    /// <summary>Delivers like the stream's reader: waits while the (bounded) incoming queue is full.</summary>
    public ValueTask DeliverAsync(Stanza stanza, CancellationToken cancellationToken) => _incoming.Writer.WriteAsync(stanza, cancellationToken);

    /// <summary>The server acknowledges the <paramref name="count"/> oldest unacknowledged stanzas.</summary>
    public void Acknowledge(int count)
    {
        List<TaskCompletionSource> done;
        lock (_gate)
        {
            done = [.. _unacknowledged.Take(count).Select(u => u.Acknowledged)];
            _unacknowledged.RemoveRange(0, done.Count);
        }

        done.ForEach(d => d.TrySetResult());
    }

    public void End(XmppException? reason = null)
    {
        _incoming.Writer.TryComplete();
        _terminated.TrySetResult(reason ?? new XmppConnectionException("ended by the test"));
    }

    public void AcknowledgeIncoming(int count)
    {
        lock (_gate)
        {
            IncomingAcknowledged += count;
        }
    }

    public Task<IReadOnlyList<Task>> SendBatchAsync(IReadOnlyList<Stanza> stanzas, bool requestAcknowledgement, CancellationToken cancellationToken = default)
    {
        if (!IsConnected)
        {
            throw new XmppConnectionException("The XMPP session has ended.");
        }

        if (Interlocked.Exchange(ref _failNextWrite, null)?.Invoke(stanzas) is { } failure)
        {
            return Task.FromException<IReadOnlyList<Task>>(failure);
        }

        lock (_gate)
        {
            Writes.Add([.. stanzas]);
            AcknowledgementRequests += requestAcknowledgement ? 1 : 0;
            if (!IsStreamManagementEnabled)
            {
                return Task.FromResult<IReadOnlyList<Task>>([]);
            }

            var acknowledgements = new List<Task>(stanzas.Count);
            foreach (var stanza in stanzas)
            {
                var acknowledged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _unacknowledged.Add((stanza, acknowledged));
                acknowledgements.Add(acknowledged.Task);
            }

            return Task.FromResult<IReadOnlyList<Task>>(acknowledgements);
        }
    }

    /// <summary>Pending acknowledgement tasks for the stanzas of a write that is failed "midway" (counted, not confirmed).</summary>
    public IReadOnlyList<Task> CountWithoutConfirming(IReadOnlyList<Stanza> stanzas)
    {
        lock (_gate)
        {
            return [.. stanzas.Select(s =>
            {
                var acknowledged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _unacknowledged.Add((s, acknowledged));
                return acknowledged.Task;
            })];
        }
    }

    public Task SendAsync(Stanza stanza, CancellationToken cancellationToken = default) => SendBatchAsync([stanza], false, cancellationToken);

    /// <summary>Answers IQ requests; by default every request is refused with service-unavailable.</summary>
    public Func<Iq, Task<Iq>>? AnswerIq { get; set; }

    public Task<Iq> SendIqAsync(Iq request, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AnswerIq?.Invoke(request) ?? Task.FromException<Iq>(new StanzaErrorException(StanzaError.Of(StanzaErrorCondition.ServiceUnavailable)));

    public Task RequestAcknowledgementAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            AcknowledgementRequests++;
        }

        return Task.CompletedTask;
    }

    public IDisposable AddMessageFilter(Func<Message, bool> filter)
    {
        lock (_gate)
        {
            _filters.Add(filter);
        }

        return new Removal(() =>
        {
            lock (_gate)
            {
                _filters.Remove(filter);
            }
        });
    }

    public void SetFallbackIqHandler(IqRequestHandler? handler) => FallbackIqHandler = handler;

    public void AddDiscoFeature(string feature) => DiscoFeatures.Add(feature);

    public void Abort() => End(new XmppConnectionException("aborted"));

    private sealed class Removal(Action remove) : IDisposable
    {
        public void Dispose() => remove();
    }
}
