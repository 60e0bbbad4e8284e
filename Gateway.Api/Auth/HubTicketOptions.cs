using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Auth;

/// <summary>Hub tickets (<c>POST /api/v1/hub-tickets</c>), section <c>Gateway:HubTickets</c>; validated at start-up.</summary>
public sealed class HubTicketOptions
{
    public const string Section = "Gateway:HubTickets";

    /// <summary>How long a ticket may be used to open a hub connection. Short: it travels in a URL.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "00:10:00")]
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Tickets held at once by the whole gateway (issued and not yet expired, or bound to an open connection); beyond it, 429.</summary>
    [Range(10, 1_000_000)]
    public int MaxOutstanding { get; set; } = 100_000;
}

[OptionsValidator]
internal sealed partial class HubTicketOptionsValidator : IValidateOptions<HubTicketOptions>;
