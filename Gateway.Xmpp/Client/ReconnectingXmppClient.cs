using System.Collections.Immutable;
using Gateway.Xmpp.Diagnostics;
using Gateway.Xmpp.StreamManagement;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Xmpp.Client;

/// <summary>
/// An XMPP client that stays connected: a supervisor connects, runs the registered <see cref="IConnectionFeature"/>s
/// on each connection, and when the connection ends hands its unacknowledged stanzas to the next one, which resumes
/// the stream when the server still keeps it (XEP-0198 §5) or binds a new one and settles them — so a reconnect loses
/// and repeats nothing. Reconnects use exponential backoff with full jitter; failures retrying cannot fix (wrong
/// password, replaced by another login) end it.
/// </summary>
/// <remarks>
/// Usable on its own (MQTTnet's client and Smack's managers are the models): register features, listen to
/// <see cref="OnStatusChanged"/> (any number of listeners), start, send through <see cref="Connection"/> or this
/// object. It has no idea of tenants, outboxes or journals; the gateway's pool builds those on top.
/// </remarks>
public sealed class ReconnectingXmppClient : IStanzaSender, IAsyncDisposable
{
    private readonly ReconnectingClientOptions _options;
    private readonly XmppClientOptions _connectionOptions;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ReconnectPolicy _policy;
    private readonly KeepAliveTicker? _ownTicker;
    private readonly string _name;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource _firstOnline = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _gate = new();
    private ImmutableArray<IConnectionFeature> _features = [];
    private Action<ConnectionStatus>[] _listeners = [];
    private ConnectionStatus _status;
    private XmppClient? _connection;
    private ConnectionContext? _context;
    private StreamHandoff? _handoff;
    private Task _supervisor = Task.CompletedTask;
    private int _started;
    private int _stopRequested;

    /// <summary>1 once <see cref="DetachAsync"/> asked for the stop: a connection is then dropped, never closed.</summary>
    private int _detaching;

    /// <param name="options">Account, server, backoff and keepalive settings; validated here.</param>
    /// <param name="loggerFactory">Where it logs; nothing when null.</param>
    /// <param name="timeProvider">Clock for backoff and keepalive; the system clock when null.</param>
    /// <param name="name">How logs name this client (e.g. tenant/session); never put a JID or secret here.</param>
    public ReconnectingXmppClient(ReconnectingClientOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        // Every connection logs in with the same credentials: PBKDF2 once, not on every reconnect (RFC 5802 §5.1).
        _connectionOptions = options.Connection with
        {
            EnableStreamResumption = true,
            KeepUnacknowledgedOnDisconnect = true,
            ScramKeyCache = options.Connection.ScramKeyCache ?? new(),
        };
        _loggerFactory = loggerFactory;
        _logger = (ILogger?)loggerFactory?.CreateLogger<ReconnectingXmppClient>() ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _policy = new ReconnectPolicy(options.ReconnectBaseDelay, options.ReconnectMaxDelay, new Random(), options.PolicyViolationDelay);
        _name = name ?? "xmpp-client";
        _status = new ConnectionStatus(ConnectionState.Connecting, _time.GetUtcNow());
        var ticker = options.KeepAliveTicker ?? (_ownTicker = new KeepAliveTicker(KeepAliveTicker.PeriodFor(options.KeepAliveInterval, shared: false), _time));
        Add(new KeepAlive(options.KeepAliveInterval, options.KeepAliveTimeout, ticker, _logger, _name));
    }

    /// <summary>Where it stands now.</summary>
    public ConnectionStatus Status
    {
        get
        {
            lock (_gate)
            {
                return _status;
            }
        }
    }

    /// <summary>The connection while online; null while connecting, reconnecting or after the end.</summary>
    public XmppClient? Connection => Volatile.Read(ref _connection) is { IsConnected: true } connection && Status.State == ConnectionState.Online ? connection : null;

    /// <summary>The bound full JID of the current connection, or the configured one.</summary>
    public Jid Jid => Volatile.Read(ref _connection)?.Jid ?? _connectionOptions.Jid;

    /// <summary>Registers a feature for every connection from the next one on, after those registered before it. Call before starting.</summary>
    public void Add(IConnectionFeature feature)
    {
        ArgumentNullException.ThrowIfNull(feature);
        if (Volatile.Read(ref _started) != 0)
        {
            throw new InvalidOperationException("Register connection features before starting the client.");
        }

        ImmutableInterlocked.Update(ref _features, static (features, added) => features.Add(added), feature);
    }

    /// <summary>Calls <paramref name="listener"/> on every status change, in order, on the supervisor's thread (keep it quick). Dispose to stop.</summary>
    public IDisposable OnStatusChanged(Action<ConnectionStatus> listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        ImmutableInterlocked.Update(ref _listeners, static (listeners, added) => [.. listeners, added], listener);
        return new Registration(() => ImmutableInterlocked.Update(ref _listeners, static (listeners, removed) => [.. listeners.Where(l => l != removed)], listener));
    }

    /// <summary>
    /// Stanzas of unknown fate (e.g. accepted and perhaps sent by an earlier process) that the first connection settles
    /// before anything else: the ones <see cref="ReconnectingClientOptions.LookupHandled"/> finds are acknowledged, the
    /// others sent. Call before starting.
    /// </summary>
    public void ResendOnConnect(StreamHandoff unconfirmed)
    {
        ArgumentNullException.ThrowIfNull(unconfirmed);
        if (Volatile.Read(ref _started) != 0)
        {
            throw new InvalidOperationException("Hand over unconfirmed stanzas before starting the client.");
        }

        _handoff = _handoff is null ? unconfirmed : _handoff.Append(unconfirmed);
    }

    /// <summary>Starts; completes once online the first time, or throws why the first attempt failed (the client then stays failed).</summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        StartSupervisor(reportFirstFailure: true);
        return _firstOnline.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Starts in the background: even a failing first attempt is retried like any reconnect (unless it cannot succeed).</summary>
    public void Start()
    {
        StartSupervisor(reportFirstFailure: false);
        _firstOnline.TrySetResult();
    }

    /// <summary>
    /// Stops gracefully: features finish what is in flight, unavailable presence, stream close (everything the server
    /// sent before its close is handled), no reconnect. Returns what the last stream left unacknowledged (the caller
    /// keeps or fails it), null when nothing.
    /// </summary>
    public async Task<StreamHandoff?> StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopRequested, 1) == 0)
        {
            await StopConnectionAsync(cancellationToken).ConfigureAwait(false);
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        try
        {
            await _supervisor.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Out of time: the hard way.
            await _abort.CancelAsync().ConfigureAwait(false);
            Volatile.Read(ref _connection)?.Abort();
            await _supervisor.ConfigureAwait(false);
        }

        SetStatus(ConnectionState.Stopped, null, null);
        _firstOnline.TrySetException(new XmppConnectionException("The client was stopped before it came online."));
        return Interlocked.Exchange(ref _handoff, null);
    }

    /// <summary>
    /// Stops without ending the stream, so that another process can resume it (XEP-0198 §5): features finish what is in
    /// flight as for <see cref="StopAsync"/>, then the connection is dropped with no unavailable presence and no
    /// &lt;/stream:stream&gt; (either would end the session on the server), and no reconnect. Returns what the stream
    /// left: its resumption id and counts when the server allowed resumption, and its unacknowledged stanzas; null when
    /// nothing.
    /// </summary>
    public async Task<StreamHandoff?> DetachAsync(CancellationToken cancellationToken = default)
    {
        Volatile.Write(ref _detaching, 1);
        if (Interlocked.Exchange(ref _stopRequested, 1) == 0)
        {
            await DropConnectionAsync(cancellationToken).ConfigureAwait(false);
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        return await StopAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Drops the current connection as a network failure would; the client reconnects on its own.</summary>
    public void Abort() => Volatile.Read(ref _connection)?.Abort();

    /// <summary>Sends on the current connection.</summary>
    /// <exception cref="XmppConnectionException">Not online.</exception>
    public Task SendAsync(Stanza stanza, CancellationToken cancellationToken = default) => RequireConnection().SendAsync(stanza, cancellationToken);

    /// <summary>Sends an IQ request on the current connection and waits for its reply.</summary>
    /// <exception cref="XmppConnectionException">Not online, or the connection ended before the reply.</exception>
    public Task<Iq> SendIqAsync(Iq request, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        RequireConnection().SendIqAsync(request, timeout, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(_connectionOptions.CloseTimeout + _connectionOptions.CloseTimeout);
        var handoff = await StopAsync(timeout.Token).ConfigureAwait(false);
        handoff?.Abandon(new XmppConnectionException("The client was disposed before the server acknowledged the stanza."));
        _stopping.Dispose();
        _abort.Dispose();
        _ownTicker?.Dispose();
    }

    private XmppClient RequireConnection() =>
        Connection ?? throw new XmppConnectionException($"Not connected (the client is {Status.State.ToString().ToLowerInvariant()}).");

    private void StartSupervisor(bool reportFirstFailure)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("The client was already started.");
        }

        _supervisor = Task.Run(() => SuperviseAsync(reportFirstFailure));
    }

    /// <summary>
    /// Closes the current connection gracefully, once: both StopAsync and a connection that comes up while the client
    /// stops may call it for the same connection.
    /// </summary>
    private async Task StopConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = Volatile.Read(ref _connection);
        var context = Volatile.Read(ref _context);
        if (connection is not { IsConnected: true } || context is null || !context.TryBeginStopping())
        {
            return;
        }

        try
        {
            foreach (var feature in _features)
            {
                await feature.OnStoppingAsync(context, cancellationToken).ConfigureAwait(false);
            }

            if (_options.SendUnavailableOnStop)
            {
                // RFC 6121 §4.5.1: say goodbye to contacts before closing the stream.
                await connection.SendAsync(new Presence { Type = PresenceType.Unavailable }, cancellationToken).ConfigureAwait(false);
            }

            await connection.CloseAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is XmppException or OperationCanceledException)
        {
            connection.Abort();
        }
    }

    /// <summary>The features' stop (outbound drained, acknowledgements awaited), then the connection dropped, not closed.</summary>
    private async Task DropConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = Volatile.Read(ref _connection);
        var context = Volatile.Read(ref _context);
        if (connection is not { IsConnected: true } || context is null || !context.TryBeginStopping())
        {
            connection?.Abort();
            return;
        }

        try
        {
            foreach (var feature in _features)
            {
                await feature.OnStoppingAsync(context, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is XmppException or OperationCanceledException)
        {
            // Dropped below either way; what was not acknowledged stays in the handoff.
        }

        connection.Abort();
    }

    private async Task SuperviseAsync(bool reportFirstFailure)
    {
        var attempt = 0;
        var connections = 0;
        while (!_stopping.IsCancellationRequested)
        {
            XmppClient client;
            try
            {
                client = await XmppClient.ConnectAsync(_connectionOptions, _loggerFactory, _options.Resolver, _handoff, _options.LookupHandled, _stopping.Token).ConfigureAwait(false);
                _handoff = null;
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (XmppException ex)
            {
                var (reason, text) = ConnectionFailure.Describe(ex);
                if (reportFirstFailure && !_firstOnline.Task.IsCompleted)
                {
                    // The first attempt decides whether the client works at all: report the cause to the starter.
                    SetStatus(ConnectionState.Failed, reason, text);
                    _firstOnline.TrySetException(ex);
                    return;
                }

                if (!ex.IsTransient)
                {
                    Fail(reason, text);
                    return;
                }

                if (ex is XmppProtocolException && _handoff?.ResumptionId is not null)
                {
                    // The server answered the resumption with something we refuse (e.g. a count beyond what was sent):
                    // bind a new stream next time rather than repeat it.
                    _handoff = _handoff.WithoutResumption();
                }

                attempt++;
                await BackoffAsync(attempt, ex, reason, text).ConfigureAwait(false);
                continue;
            }

            connections++;
            var ended = await RunConnectionAsync(client, connections).ConfigureAwait(false);
            if (_stopping.IsCancellationRequested || Volatile.Read(ref _stopRequested) != 0)
            {
                return;
            }

            var (endReason, endText) = ended is null ? ("connection-lost", "The server closed the stream.") : ConnectionFailure.Describe(ended);
            if (ended is { IsTransient: false })
            {
                // E.g. conflict: another login took the resource. Reconnecting would kick it out in a loop.
                Fail(endReason, endText);
                return;
            }

            attempt = 1;
            await BackoffAsync(attempt, ended, endReason, endText).ConfigureAwait(false);
        }
    }

    /// <summary>Runs one connection until it ends; returns why it ended (null: closed cleanly).</summary>
    private async Task<XmppException?> RunConnectionAsync(XmppClient client, int number)
    {
        using var context = new ConnectionContext(client, number, _abort.Token);
        var features = _features;
        Volatile.Write(ref _connection, client);
        Volatile.Write(ref _context, context);
        Log.ConnectionUp(_logger, _name, number, client.Resumed);
        try
        {
            foreach (var feature in features)
            {
                await feature.OnConnectedAsync(context, _abort.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is XmppException or OperationCanceledException)
        {
            // The connection died while coming online; its Terminated reason says why.
        }
#pragma warning disable CA1031 // A broken feature must not take the supervisor down: the connection is dropped and retried.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.FeatureFailed(_logger, _name, "set-up", ex);
            client.Abort();
        }

        if (client.IsConnected && Volatile.Read(ref _stopRequested) == 0)
        {
            SetStatus(ConnectionState.Online, null, null);
            _firstOnline.TrySetResult();
        }

        var runs = new Task[features.Length];
        for (var i = 0; i < features.Length; i++)
        {
            runs[i] = RunFeatureAsync(features[i], context);
        }

        if (Volatile.Read(ref _stopRequested) != 0)
        {
            // Stopped while this connection was being made: StopAsync found no connection to close (or an older one),
            // so this one is closed the same way here (outbound drained, goodbye presence, stream closed), bounded by
            // the stop's own deadline (_abort).
            if (Volatile.Read(ref _detaching) != 0)
            {
                client.Abort();
            }
            else
            {
                await StopConnectionAsync(_abort.Token).ConfigureAwait(false);
            }
        }

        var reason = await client.Terminated.ConfigureAwait(false);
        await Task.WhenAll(runs).ConfigureAwait(false);
        foreach (var feature in features)
        {
            try
            {
                await feature.OnDisconnectedAsync(context, _abort.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        Volatile.Write(ref _context, null);
        Volatile.Write(ref _connection, null);

        // XEP-0198 §5: what the server did not acknowledge goes to the next connection, which resumes the stream when
        // the server still keeps it, or binds anew and settles it.
        _handoff = client.DetachStream();
        if (context.ResumptionRefused && _handoff?.ResumptionId is not null)
        {
            Log.ResumptionRefused(_logger, _name);
            _handoff = _handoff.WithoutResumption();
        }

        await client.DisposeAsync().ConfigureAwait(false);
        return reason;
    }

    private async Task RunFeatureAsync(IConnectionFeature feature, ConnectionContext context)
    {
        try
        {
            await feature.RunAsync(context, _abort.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is XmppException or OperationCanceledException)
        {
        }
#pragma warning disable CA1031 // A broken feature must not take the supervisor down: the connection is dropped and retried.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.FeatureFailed(_logger, _name, feature.GetType().Name, ex);
            context.Connection.Abort();
        }
    }

    private async Task BackoffAsync(int attempt, XmppException? failure, string reason, string text)
    {
        var delay = _policy.DelayAfter(failure, attempt);
        SetStatus(ConnectionState.Reconnecting, reason, text, attempt);
        Log.Reconnecting(_logger, _name, reason, attempt, delay);
        try
        {
            await Task.Delay(delay, _time, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Fail(string reason, string text)
    {
        Log.ConnectionFailed(_logger, _name, reason, text);
        SetStatus(ConnectionState.Failed, reason, text);

        // Nothing will resend them now: their senders learn it, unless the owner keeps them for a start with other settings.
        if (!_options.KeepUnacknowledgedOnFailure)
        {
            Interlocked.Exchange(ref _handoff, null)?.Abandon(new XmppConnectionException($"The client gave up ({reason}) before the server acknowledged the stanza."));
        }
    }

    /// <summary>The upper bound of the next reconnect delay: a retry hint for callers while reconnecting.</summary>
    public TimeSpan NextRetryCeiling => _policy.Ceiling(Status.Attempt + 1);

    private void SetStatus(ConnectionState state, string? reason, string? text, int attempt = 0)
    {
        ConnectionStatus changed;
        lock (_gate)
        {
            if (_status.State == state && _status.Reason == reason)
            {
                // Another attempt for the same reason: counted, not announced.
                _status = _status with { Attempt = attempt };
                return;
            }

            if (_status.State is ConnectionState.Stopped || (_status.State is ConnectionState.Failed && state is not ConnectionState.Stopped))
            {
                return; // Terminal states stay.
            }

            changed = _status = new ConnectionStatus(state, _time.GetUtcNow(), reason, text, attempt);
        }

        foreach (var listener in Volatile.Read(ref _listeners))
        {
            listener(changed);
        }
    }

    private sealed class Registration(Action remove) : IDisposable
    {
        private Action? _remove = remove;

        public void Dispose() => Interlocked.Exchange(ref _remove, null)?.Invoke();
    }
}
