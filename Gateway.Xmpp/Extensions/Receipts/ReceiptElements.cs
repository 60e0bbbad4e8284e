// XEP-0184: Message Delivery Receipts (v1.4.0) https://xmpp.org/extensions/xep-0184.html
// XEP-0333: Displayed Markers (v0.4.1) https://xmpp.org/extensions/xep-0333.html
// XEP-0359: Unique and Stable Stanza IDs (v0.7.0) https://xmpp.org/extensions/xep-0359.html
using System.Xml.Linq;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp;

/// <summary>The receipt, marker and stanza-id elements the gateway reads and writes.</summary>
public static class ReceiptElements
{
    private static readonly XNamespace ReceiptsNs = Ns.Receipts;
    private static readonly XNamespace MarkersNs = Ns.ChatMarkers;

    public static readonly XName Request = ReceiptsNs + "request";
    public static readonly XName Received = ReceiptsNs + "received";
    public static readonly XName Markable = MarkersNs + "markable";
    public static readonly XName MarkerReceived = MarkersNs + "received";
    public static readonly XName MarkerDisplayed = MarkersNs + "displayed";
    public static readonly XName OriginId = XName.Get("origin-id", Ns.StanzaId);
    public static readonly XName StanzaIdName = XName.Get("stanza-id", Ns.StanzaId);

    /// <summary>XEP-0184 §5.1: asks the recipient's client to confirm receipt.</summary>
    public static XElement RequestReceipt() => new(Request);

    /// <summary>XEP-0333 §3.1: lets the recipient's client send chat markers.</summary>
    public static XElement MarkableElement() => new(Markable);

    /// <summary>XEP-0184 §5.1: the receipt for the message with <paramref name="id"/>.</summary>
    public static XElement ReceivedFor(string id) => new(Received, new XAttribute("id", id));

    /// <summary>
    /// XEP-0333 §3.3: the message with <paramref name="id"/> (and the earlier markable ones of the conversation) was
    /// displayed. A marker message carries no body and is not itself markable (§3.2).
    /// </summary>
    public static XElement DisplayedFor(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return new XElement(MarkerDisplayed, new XAttribute("id", id));
    }

    /// <summary>The id a XEP-0333 displayed marker names; null when the message carries none.</summary>
    public static string? ReadDisplayedId(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return (string?)message.FindPayload(MarkerDisplayed)?.Attribute("id") is { Length: > 0 } id ? id : null;
    }

    /// <summary>
    /// The id a XEP-0184 receipt or a XEP-0333 received marker names (the message reached the sender's client); null when
    /// the message carries neither.
    /// </summary>
    public static string? ReadReceivedId(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        foreach (var element in message.Payload)
        {
            if ((element.Name == Received || element.Name == MarkerReceived) && (string?)element.Attribute("id") is { Length: > 0 } id)
            {
                return id;
            }
        }

        return null;
    }

    /// <summary>The id a receipt or marker refers to, with what it means; null when the message carries neither.</summary>
    public static DeliveryAcknowledgement? FindAcknowledgement(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        foreach (var element in message.Payload)
        {
            var kind = element.Name == Received ? AcknowledgementKind.Receipt
                : element.Name == MarkerReceived ? AcknowledgementKind.Received
                : element.Name == MarkerDisplayed ? AcknowledgementKind.Displayed
                : (AcknowledgementKind?)null;
            if (kind is { } found && (string?)element.Attribute("id") is { Length: > 0 } id)
            {
                return new DeliveryAcknowledgement(id, found);
            }
        }

        return null;
    }

    /// <summary>
    /// XEP-0359 §3: the server-assigned stanza id (by the given archive JID, usually the account's bare JID), used
    /// to find duplicates when catching up from the archive.
    /// </summary>
    public static string? FindStanzaId(Message message, Jid by)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(by);
        foreach (var element in message.Payload)
        {
            if (element.Name == StanzaIdName && Jid.TryParse((string?)element.Attribute("by"), out var stamp) && stamp == by.Bare)
            {
                return (string?)element.Attribute("id");
            }
        }

        return null;
    }
}

/// <summary>What a receipt or chat marker acknowledges.</summary>
public enum AcknowledgementKind
{
    /// <summary>XEP-0184 §4 receipt: the message with this id (and only it) reached the recipient's client.</summary>
    Receipt,

    /// <summary>XEP-0333 received marker: this message and the earlier markable ones to the same contact were received (§3.3).</summary>
    Received,

    /// <summary>XEP-0333 displayed marker: this message and the earlier markable ones were displayed (§3.3).</summary>
    Displayed,
}

/// <summary>A receipt or marker: the id it names and what it says about it.</summary>
public sealed record DeliveryAcknowledgement(string Id, AcknowledgementKind Kind);
