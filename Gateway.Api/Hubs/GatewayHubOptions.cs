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
    /// How long the dispatcher waits for one event to reach a session's subscribers. A subscriber that reads too
    /// slowly then misses that event (and sees a gap in event ids) instead of holding up every other session.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

[OptionsValidator]
internal sealed partial class GatewayHubOptionsValidator : IValidateOptions<GatewayHubOptions>;
