namespace Gateway.Xmpp.Client;

/// <summary>One connection of a <see cref="ReconnectingXmppClient"/>, as its features see it.</summary>
public sealed class ConnectionContext : IDisposable
{
    private readonly CancellationTokenSource _ended = new();
    private readonly CancellationToken _clientAborted;
    private readonly CancellationTokenSource? _endedOrAborted;
    private int _resumptionRefused;
    private int _stopping;

    /// <param name="connection">The connection.</param>
    /// <param name="number">Its number among the client's connections.</param>
    /// <param name="clientAborted">The token the client runs its features with; linked once here for all of them.</param>
    internal ConnectionContext(IXmppConnection connection, int number, CancellationToken clientAborted = default)
    {
        Connection = connection;
        Number = number;
        _clientAborted = clientAborted;
        _endedOrAborted = clientAborted.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(clientAborted, _ended.Token) : null;
        _ = connection.Terminated.ContinueWith(static (_, state) => ((ConnectionContext)state!).SignalEnded(), this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>The connection.</summary>
    public IXmppConnection Connection { get; }

    /// <summary>1 for the client's first connection, then counting up.</summary>
    public int Number { get; }

    /// <summary>True when the connection resumed the previous stream (XEP-0198 §5): the server kept its state and resent what we had not handled.</summary>
    public bool Resumed => Connection.Resumed;

    /// <summary>Cancelled once the stream has ended.</summary>
    public CancellationToken Ended => _ended.Token;

    /// <summary>
    /// A token cancelled once the stream has ended or <paramref name="cancellationToken"/> is, for a feature's work on
    /// this connection. For the token the client runs its features with, the connection's own link, shared by every
    /// feature (a long-lived link per feature and connection is memory a large pool pays per session), and null
    /// returned; for any other token, a new linked source, returned for the caller to dispose.
    /// </summary>
    public CancellationTokenSource? LinkEnded(CancellationToken cancellationToken, out CancellationToken linked)
    {
        if (_endedOrAborted is not null && cancellationToken == _clientAborted)
        {
            linked = _endedOrAborted.Token;
            return null;
        }

        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _ended.Token);
        linked = source.Token;
        return source;
    }

    /// <summary>True for the first caller only: the graceful stop of a connection runs once.</summary>
    internal bool TryBeginStopping() => Interlocked.Exchange(ref _stopping, 1) == 0;

    /// <summary>Whether a feature asked for the next connection not to resume this stream.</summary>
    public bool ResumptionRefused => Volatile.Read(ref _resumptionRefused) != 0;

    /// <summary>
    /// The next connection binds a new stream instead of resuming this one (e.g. this one stopped answering: resuming
    /// it would bring the stall back). Its unacknowledged stanzas are still settled and sent again.
    /// </summary>
    public void RefuseResumption() => Volatile.Write(ref _resumptionRefused, 1);

    /// <summary>Takes back <see cref="RefuseResumption"/> once the stream proved it works.</summary>
    internal void AllowResumption() => Volatile.Write(ref _resumptionRefused, 0);

    public void Dispose()
    {
        _endedOrAborted?.Dispose();
        _ended.Dispose();
    }

    private void SignalEnded()
    {
        try
        {
            _ended.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
