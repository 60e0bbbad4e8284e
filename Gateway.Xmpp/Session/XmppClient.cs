using System.Threading.Channels;
using System.Xml.Linq;
using Gateway.Xmpp.Diagnostics;
using Gateway.Xmpp.Negotiation;
using Gateway.Xmpp.Protocol;
using Gateway.Xmpp.Session;
using Gateway.Xmpp.StreamManagement;
using Gateway.Xmpp.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Xmpp;

/// <summary>Answers an IQ get/set addressed to this client: returns the result payload (or null for an empty result), or throws <see cref="StanzaErrorException"/>.</summary>
public delegate ValueTask<XElement?> IqRequestHandler(Iq request, CancellationToken cancellationToken);

/// <summary>
/// One authenticated, bound XMPP client session (RFC 6120/6121) over one connection. Create it with
/// <see cref="ConnectAsync"/>; read what arrives from <see cref="Incoming"/>; send from any thread. For a session that
/// reconnects on its own, see <see cref="Client.ReconnectingXmppClient"/>.
/// </summary>
/// <remarks>
/// The reader never runs caller code and never waits on the socket: messages, presence and roster pushes go into a
/// bounded channel, IQ replies complete their pending requests, IQ requests run their handlers on the thread pool (a
/// bounded number at once), and what the reader must answer is written by a loop of its own.
/// </remarks>
public sealed class XmppClient : IXmppConnection, ISerializedBatchSender, IAsyncDisposable
{
    private readonly XmppClientOptions _options;
    private readonly ILogger _logger;
    private readonly XmppTransport _transport;
    private readonly IqTracker _iqTracker;
    private readonly Channel<Stanza> _incoming;
    private readonly IqRequestHandlers _iqRequests;
    private readonly ReplyWriter _replies;
    private readonly StanzaWriter _writer;
    private readonly AckRequestScheduler? _acks;
    private readonly StreamReadLoop _reader;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly TaskCompletionSource<XmppException?> _terminated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StreamManagementState? _streamManagement;
    private readonly PresenceAudience _audience;

    /// <summary>Replies of the reader waiting to be written before the reader itself waits.</summary>
    private const int ReplyQueueCapacity = 256;

    private Task _readLoop = Task.CompletedTask;
    private int _closing;
    private int _disposed;

    private XmppClient(XmppClientOptions options, XmppTransport transport, NegotiationResult negotiated, ILogger logger)
    {
        _options = options;
        _transport = transport;
        _logger = logger;
        Jid = negotiated.BoundJid;
        Resumed = negotiated.Resumed;
        StreamId = negotiated.StreamId;
        Features = negotiated.Features.All;
        SaslMechanism = negotiated.SaslMechanism;
        _iqTracker = new IqTracker(() => Jid);
        _iqRequests = new IqRequestHandlers(options.MaxConcurrentIqRequests);
        _audience = new PresenceAudience(negotiated.BoundJid, options.RespondTo);
        _streamManagement = negotiated.StreamManagement;
        _acks = _streamManagement is null ? null : new AckRequestScheduler(_streamManagement, () => _ = RequestAcknowledgementInBackgroundAsync(), options.AcknowledgementRequestDelay, TimeProvider.System);
        _writer = new StanzaWriter(transport, _streamManagement, _acks, ThrowIfEnded);
        _replies = new ReplyWriter(ReplyQueueCapacity, _writer.WriteNonzaAsync, (stanza, token) => _writer.WriteAsync(stanza, requestAcknowledgement: false, token));
        _incoming = Channel.CreateBounded<Stanza>(new BoundedChannelOptions(options.IncomingQueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
        });
        var iqRequests = new IqRequestRunner(_iqRequests, _audience, _replies, SendAsync, () => IsConnected, logger, Jid.Domain);
        _reader = new StreamReadLoop(transport, options, logger, Jid, _streamManagement, _iqTracker, iqRequests, _audience, _replies, _acks, _incoming.Writer, negotiated.EarlyElements, () => Volatile.Read(ref _closing) != 0);

        // What every compliant client answers by itself (RFC 6120 §8.4, XEP-0030, XEP-0092, XEP-0199).
        DiscoFeature.Register(this, options.SoftwareName);
        PingFeature.Register(this);
        SoftwareVersionFeature.Register(this, options.SoftwareName, options.SoftwareVersion);
        _iqRequests.AddFeature(Ns.DiscoInfo);
    }

    /// <summary>The full JID the server bound (RFC 6120 §7.6.3): the resource may differ from the one requested.</summary>
    public Jid Jid { get; }

    /// <summary>The SASL mechanism that authenticated this session, e.g. <c>SCRAM-SHA-1</c>.</summary>
    public string SaslMechanism { get; }

    /// <summary>The id the server gave the current stream.</summary>
    public string? StreamId { get; }

    /// <summary>The qualified names of the stream features the server offered after authentication.</summary>
    public IReadOnlySet<XName> Features { get; }

    /// <summary>Whether the connection is encrypted.</summary>
    public bool IsEncrypted => _transport.IsEncrypted;

    /// <summary>Messages, presence and roster pushes in arrival order. Completes when the stream ends.</summary>
    public ChannelReader<Stanza> Incoming => _incoming.Reader;

    /// <summary>
    /// Completes when the session has ended: with null after a close we asked for, or with the reason
    /// (stream error, lost connection, protocol violation).
    /// </summary>
    public Task<XmppException?> Terminated => _terminated.Task;

    /// <summary>True until the stream has ended.</summary>
    public bool IsConnected => !_terminated.Task.IsCompleted;

    /// <summary>The features this client announces in XEP-0030 disco#info, sorted.</summary>
    public IReadOnlyCollection<string> DiscoFeatures => _iqRequests.Features;

    /// <inheritdoc />
    public bool MaySeePresence(Jid? entity) => _audience.Admits(entity);

    /// <inheritdoc />
    public void UseRoster(IEnumerable<RosterItem> items) => _audience.Reset(items);

    /// <summary>How long ago the last element arrived from the server (for keepalives that ping only an idle stream).</summary>
    public TimeSpan SinceLastReceived => _reader.SinceLastReceived;

    /// <summary>Connects, secures, authenticates and binds; returns once the session can send and receive.</summary>
    /// <exception cref="SaslFailedException">The server refused the credentials.</exception>
    /// <exception cref="XmppTlsException">TLS could not be established with a trusted certificate.</exception>
    /// <exception cref="XmppConnectionException">No endpoint could be reached.</exception>
    /// <exception cref="XmppTimeoutException"><see cref="XmppClientOptions.ConnectTimeout"/> elapsed.</exception>
    /// <param name="options">Account, server and security settings.</param>
    /// <param name="loggerFactory">Where the library logs; nothing is logged when null.</param>
    /// <param name="resolver">How endpoints are found; DNS SRV when null.</param>
    /// <param name="resumeFrom">
    /// What an earlier stream of the same account left (<see cref="DetachStream"/>): the stream is resumed when
    /// the server still keeps it (XEP-0198 §5), otherwise a new one is bound; either way the stanzas the server
    /// had not handled are sent again, in order, before this method returns.
    /// </param>
    /// <param name="lookupHandled">
    /// Asked, on the new connection, which of <paramref name="resumeFrom"/>'s stanzas the server already has when it
    /// cannot say itself (a new stream, and no 'h' in &lt;failed/&gt;); null resends them all.
    /// </param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    public static async Task<XmppClient> ConnectAsync(
        XmppClientOptions options,
        ILoggerFactory? loggerFactory = null,
        IXmppEndpointResolver? resolver = null,
        StreamHandoff? resumeFrom = null,
        HandledStanzaLookup? lookupHandled = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var logger = (ILogger?)loggerFactory?.CreateLogger<XmppClient>() ?? NullLogger.Instance;

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        try
        {
            var (transport, negotiated, endpoint) = await ServerSelection.NegotiateAsync(options, resolver, resumeFrom, logger, timeout.Token).ConfigureAwait(false);
            XmppClient client;
            try
            {
                client = new XmppClient(options, transport, negotiated, logger);

                // Read before resending: a resumed stream makes the server resend its own backlog at the same
                // time, and two peers that both write without reading can fill each other's buffers.
                client.Start();
                if (resumeFrom is not null)
                {
                    try
                    {
                        await HandoffSettlement.SettleAsync(client, client._writer, client.Resumed, client.IsStreamManagementEnabled, resumeFrom, negotiated.PreviousStreamHandled, lookupHandled, timeout.Token).ConfigureAwait(false);
                    }
                    catch
                    {
                        // The handoff stays with the caller for the next attempt: its stanzas' pending
                        // acknowledgements must survive this failed connection, not be failed with it.
                        client._streamManagement?.Detach();
                        await client.DisposeAsync().ConfigureAwait(false);
                        throw;
                    }
                }
            }
            catch
            {
                // Idempotent: a client that failed to settle its handoff has disposed it already.
                await transport.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            Log.SessionReady(logger, client.Jid.Domain, endpoint.Host, endpoint.Port, client.IsEncrypted);
            return client;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new XmppTimeoutException($"Connecting to '{options.Jid.Domain}'", options.ConnectTimeout);
        }
    }

    /// <summary>True when this connection resumed an earlier stream (XEP-0198 §5) rather than binding a new session.</summary>
    public bool Resumed { get; private init; }

    /// <summary>
    /// After the stream ended: takes what the next connection needs to carry on (unacknowledged stanzas with
    /// their pending acknowledgements, and the resumption id when the server allowed resumption). Null without
    /// stream management. Call once; the stanzas are then no longer this client's to fail.
    /// </summary>
    public StreamHandoff? DetachStream()
    {
        if (IsConnected)
        {
            throw new InvalidOperationException("The stream can only be detached after it has ended.");
        }

        if (_streamManagement is null)
        {
            return null;
        }

        var (unacked, outboundAcked, inboundHandled) = _streamManagement.Detach();
        return new StreamHandoff(
            _streamManagement.Resumable ? _streamManagement.ResumptionId : null,
            Jid,
            inboundHandled,
            outboundAcked,
            unacked,
            _streamManagement.MaxResumeSeconds,
            TimeProvider.System.GetTimestamp());
    }

    /// <summary>Whether the server enabled XEP-0198 stream management on this stream.</summary>
    public bool IsStreamManagementEnabled => _streamManagement is not null;

    /// <summary>Stanzas sent on this stream that the server has not acknowledged yet (XEP-0198); empty without it.</summary>
    public IReadOnlyList<Stanza> UnacknowledgedStanzas => _streamManagement?.UnackedStanzas() ?? [];

    /// <summary>Sends a stanza. Thread-safe; completes when the bytes are handed to the socket.</summary>
    /// <exception cref="XmppConnectionException">The session has ended.</exception>
    /// <exception cref="ArgumentException">The stanza holds characters that XML cannot carry.</exception>
    public Task SendAsync(Stanza stanza, CancellationToken cancellationToken = default) => _writer.WriteAsync(stanza, requestAcknowledgement: false, cancellationToken);

    /// <summary>
    /// Sends a stanza and asks the server to acknowledge it at once (XEP-0198 §4). The returned task
    /// completes when the bytes are written; <see cref="SentStanza.Acknowledged"/> completes when the server
    /// confirms it has handled the stanza, and faults if the stream ends first.
    /// </summary>
    /// <exception cref="InvalidOperationException">The server did not enable stream management.</exception>
    /// <param name="stanza">The stanza to send.</param>
    /// <param name="requestAcknowledgementNow">Send &lt;r/&gt; at once (for a caller waiting on the ack); otherwise acks are requested in batches.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public async Task<SentStanza> SendTrackedAsync(Stanza stanza, bool requestAcknowledgementNow = true, CancellationToken cancellationToken = default)
    {
        if (_streamManagement is null)
        {
            throw new InvalidOperationException("The server did not enable XEP-0198 stream management, so it cannot acknowledge stanzas.");
        }

        var acknowledged = await _writer.WriteAsync(stanza, requestAcknowledgementNow, cancellationToken).ConfigureAwait(false);
        return new SentStanza(stanza, acknowledged!);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Task>> SendBatchAsync(IReadOnlyList<Stanza> stanzas, bool requestAcknowledgement, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stanzas);
        if (stanzas.Count == 0)
        {
            return [];
        }

        return await _writer.WriteBatchAsync(stanzas, null, requestAcknowledgement, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    Task<IReadOnlyList<Task>> ISerializedBatchSender.SendSerializedBatchAsync(IReadOnlyList<Stanza> stanzas, IReadOnlyList<ReadOnlyMemory<byte>> serialized, bool requestAcknowledgement, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stanzas);
        ArgumentNullException.ThrowIfNull(serialized);
        return stanzas.Count == 0 ? Task.FromResult<IReadOnlyList<Task>>([]) : _writer.WriteBatchAsync(stanzas, null, requestAcknowledgement, cancellationToken, serialized);
    }

    /// <inheritdoc />
    public void AcknowledgeIncoming(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > 0 && _options.AcknowledgeIncomingManually && _streamManagement?.AcknowledgeInbound(count) is { } answer)
        {
            // Not waiting: if the reply queue is full, the server asks again and gets the current count then.
            _replies.TryEnqueue(answer);
        }
    }

    /// <inheritdoc />
    public IDisposable AddMessageFilter(Func<Message, bool> filter) => _reader.AddMessageFilter(filter);

    /// <summary>Announces a feature in XEP-0030 disco#info that needs no IQ handler (e.g. XEP-0184 receipts).</summary>
    public void AddDiscoFeature(string feature) => _iqRequests.AddFeature(feature);

    /// <summary>
    /// Asks the server to acknowledge what it has been sent (XEP-0198 §4), e.g. when the sender has nothing more to
    /// send for now: acknowledgements are otherwise requested in batches. Sends &lt;r/&gt; unless there is no
    /// stream management, nothing awaits acknowledgement, or a request is already out.
    /// </summary>
    /// <exception cref="XmppConnectionException">The session has ended.</exception>
    public Task RequestAcknowledgementAsync(CancellationToken cancellationToken = default) => _writer.RequestAcknowledgementAsync(cancellationToken);

    /// <summary>
    /// Proves the stream alive: something must arrive from the server within <paramref name="timeout"/>. Under XEP-0198
    /// the probe is an &lt;r/&gt;, which either party may send at any time and the server answers with &lt;a/&gt; (§4):
    /// one element each way, no stanza for the server to route or count, and no acknowledgement request to follow it
    /// (a XEP-0199 ping is a stanza, so it also costs an &lt;r/&gt; and &lt;a/&gt; of its own). Without stream management it is a
    /// XEP-0199 ping (§4.2), where an error reply (service-unavailable, RFC 6120 §8.4) still proves the server alive.
    /// </summary>
    /// <exception cref="XmppTimeoutException">Nothing arrived in time.</exception>
    /// <exception cref="XmppConnectionException">The session has ended.</exception>
    public async Task ProbeAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (!IsStreamManagementEnabled)
        {
            try
            {
                await this.PingAsync(timeout: timeout, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (StanzaErrorException)
            {
            }

            return;
        }

        ThrowIfEnded();
        var received = _reader.NextReceived;
        await _writer.WriteNonzaAsync(StreamManagementState.Request(), cancellationToken).ConfigureAwait(false);
        Task first;
        try
        {
            first = await Task.WhenAny(received, Terminated).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new XmppTimeoutException("Stream probe", timeout);
        }

        if (first != received)
        {
            throw new XmppConnectionException("The XMPP session has ended.", Terminated.Result);
        }
    }

    /// <summary>
    /// Handles IQ get/set requests that no payload-specific handler takes, instead of answering
    /// <c>service-unavailable</c> at once (e.g. to forward them to an application).
    /// </summary>
    public void SetFallbackIqHandler(IqRequestHandler? handler) => _iqRequests.SetFallback(handler);

    /// <summary>
    /// Sends an IQ get/set and waits for its result (RFC 6120 §8.2.3). An id is assigned when missing.
    /// </summary>
    /// <exception cref="StanzaErrorException">The addressee answered with an error.</exception>
    /// <exception cref="XmppTimeoutException">No reply within <paramref name="timeout"/> (default <see cref="XmppClientOptions.IqTimeout"/>).</exception>
    /// <exception cref="XmppConnectionException">The session ended before the reply arrived.</exception>
    public async Task<Iq> SendIqAsync(Iq request, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.IsRequest)
        {
            throw new ArgumentException($"Only get and set IQs expect a reply, not '{request.Type}'. Use SendAsync.", nameof(request));
        }

        if (request.Query is null)
        {
            throw new ArgumentException("An IQ get/set must carry exactly one payload element (RFC 6120 §8.2.3).", nameof(request));
        }

        if (string.IsNullOrEmpty(request.Id))
        {
            request = request with { Id = StanzaId.New() };
        }

        ThrowIfEnded();
        var limit = timeout ?? _options.IqTimeout;
        using var pending = _iqTracker.Register(request);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
        cts.CancelAfter(limit);
        Iq reply;
        try
        {
            await _writer.WriteAsync(request, requestAcknowledgement: false, cts.Token).ConfigureAwait(false);
            reply = await pending.Reply.WaitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            if (_lifetime.IsCancellationRequested)
            {
                throw new XmppConnectionException("The session ended before the IQ reply arrived.", _terminated.Task.IsCompleted ? _terminated.Task.Result : null);
            }

            throw new XmppTimeoutException($"IQ '{request.Id}' ({request.Query?.Name.LocalName}) to {request.To?.ToString() ?? "the server"} (pending IQs: {_iqTracker.Count})", limit);
        }

        return reply.Type == IqType.Error
            ? throw new StanzaErrorException(reply.Error ?? StanzaError.Of(StanzaErrorCondition.UndefinedCondition))
            : reply;
    }

    /// <summary>
    /// Answers IQ get/set requests whose payload has this qualified name (RFC 6120 §8.2.3). Requests
    /// nobody handles are answered with <c>service-unavailable</c> (RFC 6120 §8.4).
    /// </summary>
    /// <param name="payloadName">The request payload's name, e.g. <c>{urn:xmpp:ping}ping</c>.</param>
    /// <param name="handler">Runs on the thread pool; may throw <see cref="StanzaErrorException"/>.</param>
    /// <param name="discoFeature">The feature to announce in disco#info, if any.</param>
    public void SetIqHandler(XName payloadName, IqRequestHandler handler, string? discoFeature = null) =>
        _iqRequests.Set(payloadName, handler, discoFeature);

    /// <summary>Stops answering a payload; symmetric to <see cref="SetIqHandler"/>.</summary>
    public void RemoveIqHandler(XName payloadName, string? discoFeature = null) =>
        _iqRequests.Remove(payloadName, discoFeature);

    /// <summary>
    /// Closes the stream gracefully (RFC 6120 §4.4): sends the closing tag, waits up to
    /// <see cref="XmppClientOptions.CloseTimeout"/> for the server's, then closes the connection. Everything the server
    /// sent before its closing tag has been read (and is in <see cref="Incoming"/>) when this returns.
    /// </summary>
    public async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _closing, 1) == 0 && IsConnected)
        {
            try
            {
                await _transport.CloseStreamAsync(StreamFraming.ClosingTag, cancellationToken).ConfigureAwait(false);
                await _reader.ServerClosed.WaitAsync(_options.CloseTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                Log.CloseTimedOut(_logger, Jid.Domain, _options.CloseTimeout);
            }
            catch (XmppConnectionException)
            {
                // The connection was already gone: nothing left to close gracefully.
            }
        }

        Terminate(null);
        await ShutdownAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Drops the TCP connection without closing the stream, as a network failure would. For tests and
    /// for abandoning a connection that no longer answers.
    /// </summary>
    public void Abort() => _transport.Abort();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (IsConnected)
        {
            using var cts = new CancellationTokenSource(_options.CloseTimeout);
            try
            {
                await CloseAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        await ShutdownAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
        // Whatever was not detached for another connection will never be acknowledged now.
        _streamManagement?.FailAll(new XmppConnectionException("The XMPP client was disposed before the server acknowledged the stanza."));
        _acks?.Dispose();
        _lifetime.Dispose();
    }

    /// <summary>The deferred &lt;r/&gt; of <see cref="AckRequestScheduler"/>, written beside the senders' writes.</summary>
    private async Task RequestAcknowledgementInBackgroundAsync()
    {
        try
        {
            await _writer.WriteNonzaAsync(StreamManagementState.Request(), _lifetime.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is XmppException or OperationCanceledException or ObjectDisposedException)
        {
            // The stream ended: what it left unacknowledged is settled by the next one (resumption or resend).
        }
    }

    private void ThrowIfEnded()
    {
        if (!IsConnected || Volatile.Read(ref _closing) != 0)
        {
            throw new XmppConnectionException("The XMPP session has ended.", _terminated.Task.IsCompleted ? _terminated.Task.Result : null);
        }
    }

    private void Start()
    {
        _replies.Start(_lifetime.Token);
        _readLoop = Task.Run(() => _reader.RunAsync(Terminate, _lifetime.Token));
    }

    private async Task ShutdownAsync()
    {
        _transport.Abort();
        try
        {
            await _readLoop.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is XmppException or OperationCanceledException)
        {
            // Already reported through Terminated.
        }

        await _replies.StopAsync().ConfigureAwait(false);
    }

    /// <summary>Records why the session ended (first reason wins) and releases everyone waiting on it.</summary>
    private void Terminate(XmppException? reason)
    {
        if (!_terminated.TrySetResult(reason))
        {
            return;
        }

        if (reason is not null)
        {
            Log.SessionEnded(_logger, Jid.Domain, reason.GetType().Name, reason.Message);
        }

        _lifetime.Cancel();
        _iqTracker.FailAll(new XmppConnectionException("The XMPP session ended before the IQ reply arrived.", reason));
        if (!_options.KeepUnacknowledgedOnDisconnect)
        {
            _streamManagement?.FailAll(new XmppConnectionException("The XMPP session ended before the server acknowledged the stanza.", reason));
        }

        _incoming.Writer.TryComplete();
    }
}
