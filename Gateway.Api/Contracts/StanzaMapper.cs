using System.Xml.Linq;
using Gateway.Xmpp;

namespace Gateway.Api.Contracts;

/// <summary>Maps library stanzas to their JSON shapes. One place, used by REST results and SignalR events alike.</summary>
public static class StanzaMapper
{
    public static MessageDto ToDto(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new MessageDto
        {
            Id = message.Id,
            From = message.From?.ToString(),
            To = message.To?.ToString(),
            Type = StanzaCodec.TypeWireName(message) ?? "normal",
            Body = message.Body,
            Subject = message.Subject,
            Thread = message.Thread,
            Lang = message.Language,
            Payloads = Payloads(message),
            Error = ToDto(message.Error),
            ChatState = ChatStateElements.Read(message) is { } state ? ChatStateElements.ToWire(state) : null,
            Replaces = CorrectionElements.ReadReplacedId(message),
            Retracts = RetractionElements.ReadRetractedId(message),
            ReplyTo = ReplyElements.Read(message) is { } reply ? new ReplyToDto { Id = reply.Id, To = reply.To?.ToString() } : null,
            Reactions = ReactionElements.Read(message) is { } reactions ? new ReactionsDto { Id = reactions.Id, Emojis = [.. reactions.Emojis] } : null,
            Oob = OobElements.Read(message) is { } oob ? new OobDto { Url = oob.Url, Desc = oob.Description } : null,
            Displayed = ReceiptElements.ReadDisplayedId(message),
            Received = ReceiptElements.ReadReceivedId(message),
            Delay = DelayOf(message),
        };
    }

    /// <summary>The wire name of a carbon copy's direction (XEP-0280): <c>sent</c> or <c>received</c>.</summary>
    public static string? CarbonWireName(CarbonDirection? direction) => direction switch
    {
        CarbonDirection.Sent => "sent",
        CarbonDirection.Received => "received",
        _ => null,
    };

    /// <summary>A message from an archive: the forwarded message, with its archive id and the archive's timestamp.</summary>
    public static MessageDto ToDto(ArchivedMessage archived)
    {
        ArgumentNullException.ThrowIfNull(archived);
        var dto = ToDto(archived.Message);
        return dto with { StanzaId = archived.ArchiveId, Delay = archived.Stamp ?? dto.Delay };
    }

    /// <summary>XEP-0203 §4: the stamp of the message's own &lt;delay/&gt;, when it has a valid one.</summary>
    private static DateTimeOffset? DelayOf(Message message) =>
        message.FindPayload(DelayName) is { } delay
        && DateTimeOffset.TryParse((string?)delay.Attribute("stamp"), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var stamp)
            ? stamp
            : null;

    private static readonly XName DelayName = XName.Get("delay", Gateway.Xmpp.Protocol.Ns.Delay);

    public static PresenceDto ToDto(Presence presence)
    {
        ArgumentNullException.ThrowIfNull(presence);
        return new PresenceDto
        {
            Id = presence.Id,
            From = presence.From?.ToString(),
            To = presence.To?.ToString(),
            Type = StanzaCodec.TypeWireName(presence) ?? "available",
            Show = StanzaCodec.ShowWireName(presence.Show),
            Status = presence.Status,
            Priority = presence.Priority,
            Lang = presence.Language,
            Payloads = Payloads(presence),
            Error = ToDto(presence.Error),
        };
    }

    public static IqDto ToDto(Iq iq)
    {
        ArgumentNullException.ThrowIfNull(iq);
        return new IqDto
        {
            Id = iq.Id,
            From = iq.From?.ToString(),
            To = iq.To?.ToString(),
            Type = StanzaCodec.TypeWireName(iq) ?? "get",
            Payload = iq.Query?.ToString(SaveOptions.DisableFormatting),
            Error = ToDto(iq.Error),
        };
    }

    public static RosterItemDto ToDto(RosterItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return new RosterItemDto(
            item.Jid.ToString(),
            item.Name,
            item.Subscription switch
            {
                RosterSubscription.To => "to",
                RosterSubscription.From => "from",
                RosterSubscription.Both => "both",
                RosterSubscription.Remove => "remove",
                _ => "none",
            },
            item.PendingOut,
            item.Groups);
    }

    public static StanzaErrorDto? ToDto(StanzaError? error) =>
        error is null ? null : new StanzaErrorDto(error.Type.ToWire(), error.Condition.ToWire(), error.Text);

    private static string[] Payloads(Stanza stanza) =>
        [.. stanza.Payload.Select(p => p.ToString(SaveOptions.DisableFormatting | SaveOptions.OmitDuplicateNamespaces))];
}
