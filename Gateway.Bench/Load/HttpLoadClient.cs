using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Bench.Load;

/// <summary>
/// Closed-loop HTTP load: N keep-alive connections, each with one request in flight, sending the same pre-encoded
/// request with fresh sequence numbers until told to stop. A 2xx answer marks the request's messages accepted in
/// the <see cref="DeliveryLog"/>, or, for a batch, the messages its results accept (<see cref="BatchResults"/>).
/// The same client drives mod_rest and the gateway.
/// </summary>
internal sealed class HttpLoadClient
{
    /// <summary>How long one send or receive may block before the connection is given up (it counts as a transport error).</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The pause after a batch with refused messages whose refusals carry no retry hint: long enough not to spin on a
    /// full queue, short against the time the gateway takes to drain it.
    /// </summary>
    private static readonly TimeSpan RefusalBackoff = TimeSpan.FromMilliseconds(10);

    private readonly IReadOnlyList<(IPEndPoint Endpoint, RequestTemplate Template)> _targets;
    private readonly bool _batch;

    /// <param name="endpoint">Where to connect.</param>
    /// <param name="template">The request.</param>
    /// <param name="batch">
    /// The answer is a batch's <c>{"results":[…]}</c>: only the messages it accepts are accepted, the refused ones are
    /// counted by status (<see cref="SenderReport.RefusedMessages"/>), and a connection whose request had refusals
    /// pauses before the next (the refusals' retry hint, else <see cref="RefusalBackoff"/>).
    /// </param>
    public HttpLoadClient(IPEndPoint endpoint, RequestTemplate template, bool batch = false)
        : this(endpoint, [template], batch)
    {
    }

    /// <summary>Connection <c>i</c> sends <paramref name="templates"/>[i % count], e.g. one session's messages each.</summary>
    public HttpLoadClient(IPEndPoint endpoint, IReadOnlyList<RequestTemplate> templates, bool batch = false)
        : this(templates?.Select(template => (endpoint, template)).ToArray() ?? throw new ArgumentNullException(nameof(templates)), batch)
    {
    }

    /// <summary>Connection <c>i</c> sends <paramref name="targets"/>[i % count]'s request to its endpoint.</summary>
    public HttpLoadClient(IReadOnlyList<(IPEndPoint Endpoint, RequestTemplate Template)> targets, bool batch = false)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentOutOfRangeException.ThrowIfZero(targets.Count);
        _targets = targets;
        _batch = batch;
    }

    /// <summary>
    /// Runs <paramref name="connections"/> closed loops until <paramref name="stop"/> is cancelled; a request in
    /// flight then still completes, so every message is either accepted or not, never unknown.
    /// </summary>
    public async Task<SenderReport> RunAsync(int connections, DeliveryLog log, MeasurementWindow window, CancellationToken stop)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(connections, 1);
        var statuses = new long[600];
        var refusedMessages = new long[statuses.Length];
        var latency = new LatencyHistogram();
        long requests = 0, transportErrors = 0, unreadable = 0;

        // One thread per connection with blocking I/O: see HttpConnection.
        void Loop(IPEndPoint endpoint, RequestTemplate template)
        {
            var request = template.CreateBuffer();
            var outcomes = _batch ? new int[template.Messages] : [];
            var refused = _batch ? new long[statuses.Length] : []; // this loop's, added up at the end
            HttpConnection? connection = null;
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        connection ??= HttpConnection.Open(endpoint, RequestTimeout);
                    }
                    catch (SocketException)
                    {
                        // Refused or reset while connecting: count it, breathe, try again until the phase ends.
                        Interlocked.Increment(ref transportErrors);
                        stop.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(100));
                        continue;
                    }

                    var first = log.Next(template.Messages);
                    var started = Stopwatch.GetTimestamp();
                    template.Patch(request, first, started);
                    int status;
                    try
                    {
                        status = connection.Send(request, keepBody: _batch);
                    }
                    catch (IOException)
                    {
                        Interlocked.Increment(ref transportErrors);
                        connection.Dispose();
                        connection = null;
                        continue;
                    }

                    var finished = Stopwatch.GetTimestamp();
                    Interlocked.Increment(ref requests);
                    Interlocked.Increment(ref statuses[Math.Clamp(status, 0, statuses.Length - 1)]);
                    if (window.Contains(started))
                    {
                        latency.RecordTicks(finished - started);
                    }

                    TimeSpan? pause = null;
                    if (status is < 200 or > 299)
                    {
                        // Refused as a whole: its status is counted above, none of its messages is expected.
                        pause = _batch ? RefusalBackoff : null;
                    }
                    else if (!_batch)
                    {
                        for (var i = 0; i < template.Messages; i++)
                        {
                            log.Accept(first + i);
                        }
                    }
                    else if (BatchResults.TryRead(connection.Body, outcomes, out var retryAfterSeconds))
                    {
                        var anyRefused = false;
                        for (var i = 0; i < outcomes.Length; i++)
                        {
                            if (outcomes[i] == BatchResults.Accepted)
                            {
                                log.Accept(first + i);
                            }
                            else
                            {
                                refused[Math.Clamp(outcomes[i], 0, refused.Length - 1)]++;
                                anyRefused = true;
                            }
                        }

                        if (anyRefused)
                        {
                            pause = retryAfterSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : RefusalBackoff;
                        }
                    }
                    else
                    {
                        // Nothing known of its messages: none is expected, a receipt of one shows as unexpected.
                        Interlocked.Increment(ref unreadable);
                    }

                    if (!connection.IsReusable)
                    {
                        connection.Dispose();
                        connection = null;
                    }

                    if (pause is { } delay)
                    {
                        stop.WaitHandle.WaitOne(delay);
                    }
                }
            }
            finally
            {
                connection?.Dispose();
                for (var code = 0; code < refused.Length; code++)
                {
                    if (refused[code] > 0)
                    {
                        Interlocked.Add(ref refusedMessages[code], refused[code]);
                    }
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, connections)
            .Select(i => _targets[i % _targets.Count])
            .Select(target => Task.Factory.StartNew(() => Loop(target.Endpoint, target.Template), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)));
        return new SenderReport(requests, NonZero(statuses), transportErrors, latency, ErrorStanzas: 0)
        {
            RefusedMessages = NonZero(refusedMessages),
            UnreadableAnswers = unreadable,
        };
    }

    private static Dictionary<int, long> NonZero(long[] byStatus)
    {
        var counted = new Dictionary<int, long>();
        for (var code = 0; code < byStatus.Length; code++)
        {
            if (byStatus[code] > 0)
            {
                counted[code] = byStatus[code];
            }
        }

        return counted;
    }
}
