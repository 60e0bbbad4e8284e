using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Hubs;

/// <summary>Settings of the SignalR hub. Bound from <c>Gateway:Hub</c>; validated at start-up.</summary>
public sealed class GatewayHubOptions
{
    public const string Section = "Gateway:Hub";

    /// <summary>
    /// Bytes of unacknowledged messages kept per connection so a client that reconnects with stateful reconnect
    /// gets what it missed. Beyond it, sends to that connection wait (backpressure) until the client acknowledges.
    /// </summary>
    [Range(1_024, 100_000_000)]
    public long StatefulReconnectBufferSize { get; set; } = 1_000_000;

    /// <summary>Largest message a client may send (a send request with its payloads).</summary>
    [Range(4_096, 16_777_216)]
    public long MaximumReceiveMessageSize { get; set; } = 256 * 1024;

    /// <summary>
    /// How long one write of one event to one connection may take. A connection that does not take an event in this
    /// time is not reading: it is closed (its client reconnects and resumes with <c>SubscribeAfter</c>), so that it
    /// holds neither memory nor anyone else's events.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Events one subscription (one connection, one session) may have waiting to be written. A subscriber that falls
    /// further behind gets <c>OnSubscriptionEnded</c> with reason <c>slow-consumer</c> and resumes with
    /// <c>SubscribeAfter</c>. Also caps one replay read. Leave room for bursts (an archive catch-up publishes many
    /// events at once, faster than any connection takes them); the events themselves are shared by all subscribers,
    /// so the bound costs little memory of its own.
    /// </summary>
    [Range(1, 1_000_000)]
    public int SubscriptionQueueEvents { get; set; } = 10_000;

    /// <summary>
    /// Bytes (as serialised for the connection) of the events one subscription may have waiting behind the next one to
    /// write; see <see cref="SubscriptionQueueEvents"/>. The next one is not counted, so an event larger than this does
    /// not end a subscriber that keeps up; two in a row do: keep it a few times the largest event expected (stanzas are
    /// up to 1 MiB). Also bounds, roughly, what one replay read holds.
    /// </summary>
    [Range(65_536, 1_073_741_824)]
    public long SubscriptionQueueBytes { get; set; } = 8 * 1024 * 1024;
}

[OptionsValidator]
internal sealed partial class GatewayHubOptionsValidator : IValidateOptions<GatewayHubOptions>;
