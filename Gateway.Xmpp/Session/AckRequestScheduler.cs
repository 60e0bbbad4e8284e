using Gateway.Xmpp.StreamManagement;

namespace Gateway.Xmpp.Session;

/// <summary>
/// Decides when to ask the server to acknowledge what this stream sent (XEP-0198 §4 leaves the timing of &lt;r/&gt; to
/// the sender). At once when enough stanzas are outstanding (<see cref="Threshold"/>), or when a caller waits for the
/// acknowledgement; otherwise once the stream has been quiet for a short delay, so that a slow, steady sender's stanzas
/// share one request and one answer instead of costing a round of their own each, while the last stanzas of a burst
/// are still acknowledged soon. One per stream.
/// </summary>
internal sealed class AckRequestScheduler : IDisposable
{
    /// <summary>Unacknowledged stanzas from which a request goes out with the next write, or as soon as an answer came.</summary>
    public const int Threshold = 5;

    private readonly StreamManagementState _state;
    private readonly Action _request;
    private readonly TimeSpan _delay;
    private readonly ITimer? _timer;
    private int _armed;

    /// <summary>
    /// 1 when a write whose caller waits for the acknowledgement could not carry a request because as many as may be
    /// were out: their answers do not cover the write, so the next request goes as soon as an answer came, not after
    /// the quiet delay (which a caller waiting with nothing else to write would wait out in full).
    /// </summary>
    private int _askedBehindRequest;

    /// <param name="state">The stream's XEP-0198 state: what is unacknowledged, whether a request is out.</param>
    /// <param name="request">Sends &lt;r/&gt; (without waiting); only called after <see cref="StreamManagementState.TryBeginAckRequest"/> said so.</param>
    /// <param name="delay">How long the stream stays quiet before the deferred request; zero requests at once.</param>
    /// <param name="time">The clock of <paramref name="delay"/>.</param>
    public AckRequestScheduler(StreamManagementState state, Action request, TimeSpan delay, TimeProvider time)
    {
        _state = state;
        _request = request;
        _delay = delay;
        if (delay > TimeSpan.Zero)
        {
            _timer = time.CreateTimer(static self => ((AckRequestScheduler)self!).OnQuiet(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Whether a write of stanzas should carry a request: asked for, or enough outstanding.</summary>
    public bool ShouldRequestWithWrite(bool asked) => asked || _state.UnackedCount >= Threshold;

    /// <summary>
    /// For a write of stanzas, under the stream's write lock, after they were counted: true when a request goes with it
    /// (enough outstanding and none out; or asked for, and at most one out that does not cover these,
    /// <see cref="StreamManagementState.TryBeginAckRequest"/>). When asked for and no request may go, the next answer
    /// is followed by a new request at once (<see cref="Schedule"/>).
    /// </summary>
    public bool TryBeginWithWrite(bool asked)
    {
        if (!ShouldRequestWithWrite(asked))
        {
            return false;
        }

        if (TryBeginRequest(asked))
        {
            return true;
        }

        if (asked)
        {
            Volatile.Write(ref _askedBehindRequest, 1);
        }

        return false;
    }

    /// <summary>
    /// After stanzas were written without a request, or an answer left stanzas unacknowledged: makes sure a request
    /// follows, at once when enough are outstanding, else after the quiet delay (a later write may carry it first).
    /// </summary>
    public void Schedule()
    {
        if (_state.UnackedCount == 0)
        {
            return;
        }

        var askedBehind = Volatile.Read(ref _askedBehindRequest) != 0;
        if (_timer is null || _state.UnackedCount >= Threshold || askedBehind)
        {
            RequestNow(askedBehind);
            return;
        }

        // Armed once per quiet spell: writes that follow do not push the request further out.
        if (Interlocked.Exchange(ref _armed, 1) == 0)
        {
            _timer.Change(_delay, Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose() => _timer?.Dispose();

    private void OnQuiet()
    {
        Volatile.Write(ref _armed, 0);
        RequestNow(false);
    }

    private void RequestNow(bool forWaitingCaller)
    {
        if (TryBeginRequest(forWaitingCaller))
        {
            _request();
        }
    }

    /// <summary>
    /// Begins a request when none is out. A request follows every stanza written before it, so it covers whatever
    /// waited behind the last one: the mark is cleared before the request is written (a write that sets it again
    /// meanwhile holds the write lock, so its stanzas go ahead of this request too).
    /// </summary>
    private bool TryBeginRequest(bool forWaitingCaller)
    {
        if (!_state.TryBeginAckRequest(forWaitingCaller))
        {
            return false;
        }

        Volatile.Write(ref _askedBehindRequest, 0);
        return true;
    }
}
