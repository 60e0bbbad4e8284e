using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Gateway.Api.Contracts;
using Gateway.Tests.Api;

namespace Gateway.Tests.Reliability;

/// <summary>
/// A client of the REST API that does what the API asks of one: every message is posted with its own
/// <c>Idempotency-Key</c>, and when no answer comes (connection refused while the gateway restarts, a timeout) or the
/// answer is 5xx or 429, the same request with the same key is posted again until it is accepted (202). Messages are
/// posted one after the other, so their order is the order the caller wants.
/// </summary>
internal sealed class RestSender : IDisposable
{
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);

    private readonly HttpClient _http;
    private readonly ISessionRoute _route;
    private readonly string _sessionId;
    private readonly string _runId;
    private readonly Lock _gate = new();
    private readonly List<string> _messageIds = [];
    private readonly Dictionary<string, int> _retries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _attempts = new(StringComparer.Ordinal);
    private int _accepted;

    public RestSender(Uri gateway, string apiKey, string sessionId, string runId)
        : this(new FixedRoute(gateway), apiKey, sessionId, runId)
    {
    }

    /// <summary>A sender whose every attempt goes where <paramref name="route"/> says (several gateway nodes).</summary>
    public RestSender(ISessionRoute route, string apiKey, string sessionId, string runId)
    {
        _http = new HttpClient { Timeout = AttemptTimeout };
        _http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        _route = route;
        _sessionId = sessionId;
        _runId = runId;
    }

    /// <summary>Messages accepted (202) so far.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>The message id the gateway answered for each accepted sequence number, in order.</summary>
    public IReadOnlyList<string> MessageIds
    {
        get
        {
            lock (_gate)
            {
                return [.. _messageIds];
            }
        }
    }

    /// <summary>Every attempt to post the message with this idempotency key: "12:00:01.234 http://127.0.0.1:5001/ 202", oldest first.</summary>
    public IReadOnlyList<string> AttemptsOf(string idempotencyKey)
    {
        lock (_gate)
        {
            return _attempts.TryGetValue(idempotencyKey, out var attempts) ? [.. attempts] : [];
        }
    }

    /// <summary>The idempotency key of message <paramref name="sequence"/> of <paramref name="ledger"/>, as <see cref="SendAllAsync"/> posts it.</summary>
    public string KeyOf(DeliveryLedger ledger, int sequence) => $"{ledger.Prefix}-{sequence.ToString(CultureInfo.InvariantCulture)}-{_runId}";

    /// <summary>Retries by reason, e.g. "connection refused: 12, 503: 3".</summary>
    public string DescribeRetries()
    {
        lock (_gate)
        {
            return _retries.Count == 0 ? "no retries" : string.Join(", ", _retries.OrderByDescending(r => r.Value).Select(r => $"{r.Key}: {r.Value}"));
        }
    }

    /// <summary>
    /// Posts messages 0..count-1 to <paramref name="to"/>, one every 1/<paramref name="perSecond"/> s (a message that
    /// took longer, e.g. retried through a restart, is followed by the next at once, without a burst to catch up),
    /// then the sentinel.
    /// </summary>
    public async Task SendAllAsync(string to, DeliveryLedger ledger, int count, double perSecond, bool catchUp, CancellationToken cancellationToken)
    {
        var pace = new Pace(perSecond, catchUp);
        for (var i = 0; i <= count; i++)
        {
            await pace.NextAsync(cancellationToken);

            var sentinel = i == count;
            var key = $"{ledger.Prefix}-{(sentinel ? DeliveryLedger.Sentinel : i.ToString(CultureInfo.InvariantCulture))}-{_runId}";
            var id = await PostUntilAcceptedAsync(new PostMessageRequest { To = to, Type = "chat", Body = sentinel ? ledger.SentinelBody : ledger.Body(i) }, key, cancellationToken);
            if (!sentinel)
            {
                lock (_gate)
                {
                    _messageIds.Add(id);
                }

                Interlocked.Increment(ref _accepted);
            }
        }
    }

    /// <summary>GET …/messages/{messageId}: the status name, or null for 404 (a message this process does not know).</summary>
    public async Task<string?> GetStatusAsync(string messageId, CancellationToken cancellationToken)
    {
        var node = await _route.NodeAsync(0, cancellationToken);
        using var response = await _http.GetAsync(new Uri(node, $"api/v1/sessions/{_sessionId}/messages/{Uri.EscapeDataString(messageId)}"), cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        return (await response.ReadAsync<MessageStatusDto>(200)).Status;
    }

    public void Dispose() => _http.Dispose();

    private async Task<string> PostUntilAcceptedAsync(PostMessageRequest body, string idempotencyKey, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            string reason;
            var node = await _route.NodeAsync(attempt, cancellationToken);
            var started = DateTime.UtcNow;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(node, $"api/v1/sessions/{_sessionId}/messages"))
                {
                    Content = JsonContent.Create(body, options: GatewayApiFactory.Json),
                };
                request.Headers.Add("Idempotency-Key", idempotencyKey);
                using var response = await _http.SendAsync(request, cancellationToken);
                var status = (int)response.StatusCode;
                if (status == 202)
                {
                    Record(idempotencyKey, started, node, "202");
                    return (await response.ReadAsync<StanzaAcceptedDto>(202)).Id;
                }

                if (status == 404 && _route.NotFoundMeansElsewhere)
                {
                    // Not on that node (any more): the route finds where it runs now.
                    reason = "404 (elsewhere)";
                }
                else if (status == 409 && (await response.Content.ReadAsStringAsync(cancellationToken)).Contains("\"sessionState\":\"failed\"", StringComparison.Ordinal))
                {
                    // Failed for now: a password changed on the server before it was given to the gateway (the
                    // settings-change case) fails the session until the PATCH arrives. A session that stays failed
                    // makes no progress, which the run's stall check catches.
                    reason = "409 (failed)";
                }
                else if (status is not (>= 500 or 429))
                {
                    // The request itself is wrong (or the session unknown): retrying cannot help.
                    throw new InvalidOperationException($"POST messages ({idempotencyKey}) answered {status}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
                }
                else
                {
                    reason = status.ToString(CultureInfo.InvariantCulture);
                }
            }
            catch (HttpRequestException ex)
            {
                reason = ex.HttpRequestError == HttpRequestError.ConnectionError ? "connection refused" : "connection lost (" + ex.HttpRequestError + ")";
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                reason = "timeout";
            }

            Record(idempotencyKey, started, node, reason);
            lock (_gate)
            {
                _retries[reason] = _retries.GetValueOrDefault(reason) + 1;
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private void Record(string idempotencyKey, DateTime started, Uri node, string outcome)
    {
        var entry = string.Create(CultureInfo.InvariantCulture, $"{started:HH:mm:ss.fff} {node} {outcome}");
        lock (_gate)
        {
            if (!_attempts.TryGetValue(idempotencyKey, out var attempts))
            {
                _attempts[idempotencyKey] = attempts = [];
            }

            attempts.Add(entry);
        }
    }
}
