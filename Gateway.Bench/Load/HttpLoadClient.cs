using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Bench.Load;

/// <summary>
/// Closed-loop HTTP load: N keep-alive connections, each with one request in flight, sending the same pre-encoded
/// request with fresh sequence numbers until told to stop. A 2xx answer marks the request's messages accepted in
/// the <see cref="DeliveryLog"/>. The same client drives mod_rest and the gateway.
/// </summary>
internal sealed class HttpLoadClient
{
    /// <summary>How long one send or receive may block before the connection is given up (it counts as a transport error).</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);

    private readonly IPEndPoint _endpoint;
    private readonly RequestTemplate _template;

    public HttpLoadClient(IPEndPoint endpoint, RequestTemplate template)
    {
        _endpoint = endpoint;
        _template = template;
    }

    /// <summary>
    /// Runs <paramref name="connections"/> closed loops until <paramref name="stop"/> is cancelled; a request in
    /// flight then still completes, so every message is either accepted or not, never unknown.
    /// </summary>
    public async Task<SenderReport> RunAsync(int connections, DeliveryLog log, MeasurementWindow window, CancellationToken stop)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(connections, 1);
        var statuses = new long[600];
        var latency = new LatencyHistogram();
        long requests = 0, transportErrors = 0;

        // One thread per connection with blocking I/O: see HttpConnection.
        void Loop()
        {
            var request = _template.CreateBuffer();
            HttpConnection? connection = null;
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        connection ??= HttpConnection.Open(_endpoint, RequestTimeout);
                    }
                    catch (SocketException)
                    {
                        // Refused or reset while connecting: count it, breathe, try again until the phase ends.
                        Interlocked.Increment(ref transportErrors);
                        stop.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(100));
                        continue;
                    }

                    var first = log.Next(_template.Messages);
                    var started = Stopwatch.GetTimestamp();
                    _template.Patch(request, first, started);
                    int status;
                    try
                    {
                        status = connection.Send(request);
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

                    if (status is >= 200 and < 300)
                    {
                        for (var i = 0; i < _template.Messages; i++)
                        {
                            log.Accept(first + i);
                        }
                    }

                    if (!connection.IsReusable)
                    {
                        connection.Dispose();
                        connection = null;
                    }
                }
            }
            finally
            {
                connection?.Dispose();
            }
        }

        await Task.WhenAll(Enumerable.Range(0, connections)
            .Select(_ => Task.Factory.StartNew(Loop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)));
        var counted = new Dictionary<int, long>();
        for (var code = 0; code < statuses.Length; code++)
        {
            if (statuses[code] > 0)
            {
                counted[code] = statuses[code];
            }
        }

        return new SenderReport(requests, counted, transportErrors, latency, ErrorStanzas: 0);
    }
}
