// Server-sent events: WHATWG HTML Living Standard §9.2 https://html.spec.whatwg.org/multipage/server-sent-events.html
using System.Buffers;
using System.IO.Pipelines;
using System.Reflection;
using Gateway.Api.Events;
using Gateway.Api.Hubs;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Endpoints.Events;

/// <summary>
/// Writes one open stream: its cursor's events as server-sent events until the cursor ends (then a final
/// <c>subscription-ended</c> event) or the client goes; a keep-alive comment when idle.
/// </summary>
internal sealed class EventStreamResult(EventStream stream, long afterEventId) : IResult, IEndpointMetadataProvider
{
    public const string ContentType = "text/event-stream";

    // Written without a flush while the cursor has more at once, up to this much.
    private const int FlushThreshold = 64 * 1024;

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(string), [ContentType]));
    }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var services = httpContext.RequestServices;
        var options = services.GetRequiredService<IOptions<EventStreamOptions>>().Value;
        var registry = services.GetRequiredService<EventStreamRegistry>();
        var pool = services.GetRequiredService<ISessionPool>();
        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var logger = services.GetRequiredService<ILogger<EventStreamResult>>();
        var remote = services.GetService<IRemoteSessionEvents>();
        var writer = new StreamWriter(httpContext, stream.Cursor, pool, remote, options, time, logger);
        try
        {
            await writer.RunAsync(afterEventId, registry.Json);
        }
        finally
        {
            registry.Close(stream);
        }
    }

    /// <summary>The state of one response being written.</summary>
    private sealed class StreamWriter(
        HttpContext httpContext, EventCursor<SseFrame> cursor, ISessionPool pool, IRemoteSessionEvents? remote, EventStreamOptions options, TimeProvider time, ILogger logger)
    {
        private readonly PipeWriter _body = httpContext.Response.BodyWriter;
        private readonly CancellationToken _aborted = httpContext.RequestAborted;
        private long _unflushed;

        public async Task RunAsync(long afterEventId, System.Text.Json.JsonSerializerOptions json)
        {
            var response = httpContext.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = ContentType;
            response.Headers.CacheControl = "no-cache";

            // Proxies such as nginx buffer responses unless told not to; an event stream must reach the client at once.
            response.Headers["X-Accel-Buffering"] = "no";
            httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            EventStreamLog.Opened(logger, cursor.Tenant, cursor.SessionId, afterEventId);
            try
            {
                Write(SseFrame.Retry(options.RetryHint));
                if (!await FlushAsync())
                {
                    return;
                }

                while (true)
                {
                    var next = cursor.NextAsync(_aborted);
                    CursorStep<SseFrame> step;
                    if (next.IsCompleted && _unflushed < FlushThreshold)
                    {
                        step = await next;
                    }
                    else
                    {
                        // Nothing more at once: what is written goes out before the wait.
                        if (!await FlushAsync())
                        {
                            return;
                        }

                        step = next.IsCompleted ? await next : await WaitWithHeartbeatsAsync(next.AsTask());
                        if (step.EndReason is null && step.Payload is null)
                        {
                            return;
                        }
                    }

                    if (step.EndReason is { } reason)
                    {
                        await EndAsync(reason, json);
                        return;
                    }

                    Write(step.Payload!.Bytes);

                    // The pool publishes the stopped state as it removes a session (removed first, so Find misses it).
                    if (step.Event is SessionStateChanged && IsGone())
                    {
                        cursor.End(SubscriptionEndReasons.SessionRemoved);
                    }
                }
            }
            catch (OperationCanceledException) when (_aborted.IsCancellationRequested)
            {
                EventStreamLog.ClosedByClient(logger, cursor.Tenant, cursor.SessionId, cursor.LastDeliveredEventId);
            }
        }

        /// <summary>Waits for the cursor's next step, writing a keep-alive comment whenever the stream idles for the interval.</summary>
        /// <returns>The step; default when a heartbeat could not be written (the connection was aborted).</returns>
        private async Task<CursorStep<SseFrame>> WaitWithHeartbeatsAsync(Task<CursorStep<SseFrame>> next)
        {
            while (true)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(_aborted);
                var heartbeat = Task.Delay(options.HeartbeatInterval, time, idle.Token);
                if (await Task.WhenAny(next, heartbeat) == next)
                {
                    await idle.CancelAsync();
                    return await next;
                }

                if (_aborted.IsCancellationRequested)
                {
                    return await next;
                }

                // A session removed without a last event reaching the stream (its state event was not published) is
                // noticed here at the latest.
                if (IsGone())
                {
                    cursor.End(SubscriptionEndReasons.SessionRemoved);
                    continue;
                }

                Write(SseFrame.KeepAlive);
                if (!await FlushAsync())
                {
                    return default;
                }
            }
        }

        /// <summary>Neither this node runs the session nor, in a cluster, follows it on another node (a refresh found it removed).</summary>
        private bool IsGone() =>
            pool.Find(cursor.Tenant, cursor.SessionId) is null && remote?.IsFollowed(cursor.Tenant, cursor.SessionId) != true;

        private async Task EndAsync(string reason, System.Text.Json.JsonSerializerOptions json)
        {
            var last = cursor.LastDeliveredEventId;
            switch (reason)
            {
                case SubscriptionEndReasons.ReplayGap:
                    EventStreamLog.ReplayGap(logger, cursor.Tenant, cursor.SessionId, last + 1, cursor.OldestAvailableEventId);
                    break;
                case SubscriptionEndReasons.ReplayFailed:
                    EventStreamLog.ReplayFailed(logger, cursor.Tenant, cursor.SessionId, cursor.Failure!);
                    break;
                default:
                    EventStreamLog.Ended(logger, cursor.Tenant, cursor.SessionId, reason, last);
                    break;
            }

            // Behind every event written, so a client that reads it has everything up to `last`.
            Write(SseFrame.SubscriptionEnded(new SubscriptionEndedDto(cursor.SessionId, reason, last), json).Bytes);
            await FlushAsync();
        }

        private void Write(ReadOnlySpan<byte> bytes)
        {
            _body.Write(bytes);
            _unflushed += bytes.Length;
        }

        /// <summary>
        /// Sends what is written, bounded by <see cref="EventStreamOptions.SendTimeout"/>: a client that takes nothing for
        /// that long is not reading and is disconnected (false), so that it holds no memory (it resumes with Last-Event-ID).
        /// </summary>
        private async Task<bool> FlushAsync()
        {
            _unflushed = 0;
            using var timeout = new CancellationTokenSource(options.SendTimeout, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(_aborted, timeout.Token);
            try
            {
                var result = await _body.FlushAsync(linked.Token);
                return !result.IsCanceled && !result.IsCompleted;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !_aborted.IsCancellationRequested)
            {
                EventStreamLog.SendTimedOut(logger, cursor.Tenant, cursor.SessionId, options.SendTimeout);
                httpContext.Abort();
                return false;
            }
        }
    }
}
