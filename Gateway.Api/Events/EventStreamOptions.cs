using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Events;

/// <summary>Settings of the server-sent event streams (<c>GET …/sessions/{id}/events</c>). Bound from <c>Gateway:EventStreams</c>; validated at start-up.</summary>
public sealed class EventStreamOptions
{
    public const string Section = "Gateway:EventStreams";

    /// <summary>
    /// How often an idle stream gets a comment line (<c>: keep-alive</c>), so that proxies and load balancers that close
    /// idle connections keep it open, and the gateway notices a client that has gone (the write fails).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The reconnection delay the stream suggests to clients once, as its <c>retry:</c> field (WHATWG HTML §9.2.6).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan RetryHint { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Events one stream may have waiting to be written. A client that falls further behind gets a final
    /// <c>subscription-ended</c> event (reason <c>slow-consumer</c>) and resumes with <c>Last-Event-ID</c>. Also caps
    /// one replay read.
    /// </summary>
    [Range(1, 1_000_000)]
    public int QueueEvents { get; set; } = 10_000;

    /// <summary>
    /// Bytes (as written to the stream) of the events one stream may have waiting behind the next one to write; see
    /// <see cref="QueueEvents"/>. Also bounds, roughly, what one replay read holds.
    /// </summary>
    [Range(65_536, 1_073_741_824)]
    public long QueueBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Open streams one tenant may have at once; one more is refused with 429 <c>stream-limit-reached</c>.</summary>
    [Range(1, 100_000)]
    public int MaxStreamsPerTenant { get; set; } = 100;

    /// <summary>
    /// How long one write (a flush of what is queued) to a client may take. A client that takes nothing for this long
    /// is not reading: its connection is aborted (it reconnects with <c>Last-Event-ID</c>).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

[OptionsValidator]
internal sealed partial class EventStreamOptionsValidator : IValidateOptions<EventStreamOptions>;
