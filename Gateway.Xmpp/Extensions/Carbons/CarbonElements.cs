// XEP-0280: Message Carbons (v1.0.1) https://xmpp.org/extensions/xep-0280.html
// XEP-0297: Stanza Forwarding (v1.0) https://xmpp.org/extensions/xep-0297.html
using System.Diagnostics.CodeAnalysis;
using System.Xml.Linq;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp;

/// <summary>Which way a carbon-copied message went.</summary>
public enum CarbonDirection
{
    /// <summary>XEP-0280 §7: another resource of the account received it.</summary>
    Received,

    /// <summary>XEP-0280 §8: another resource of the account sent it.</summary>
    Sent,
}

/// <summary>Reads and writes the XEP-0280 elements. Pure: whether a wrapper is believed is the caller's decision (§11).</summary>
public static class CarbonElements
{
    public static readonly XName Enable = XName.Get("enable", Ns.Carbons);
    public static readonly XName Private = XName.Get("private", Ns.Carbons);
    public static readonly XName SentName = XName.Get("sent", Ns.Carbons);
    public static readonly XName ReceivedName = XName.Get("received", Ns.Carbons);
    private static readonly XName Forwarded = XName.Get("forwarded", Ns.Forward);
    private static readonly XName ClientMessage = XName.Get("message", Ns.Client);

    /// <summary>XEP-0280 §4: the IQ-set that enables carbons for this resource.</summary>
    public static Iq EnableRequest() => new() { Type = IqType.Set, Payload = [new XElement(Enable)] };

    /// <summary>XEP-0280 §9: the &lt;private/&gt; element that keeps a message from being copied (sent with XEP-0334's no-copy hint).</summary>
    public static XElement PrivateElement() => new(Private);

    /// <summary>Whether the message carries a carbons &lt;sent/&gt; or &lt;received/&gt; wrapper (believed or not).</summary>
    public static bool IsWrapper(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.FindPayload(SentName) is not null || message.FindPayload(ReceivedName) is not null;
    }

    /// <summary>
    /// The copied message inside a carbon wrapper (XEP-0280 §7, §8: &lt;sent/&gt; or &lt;received/&gt;, holding a XEP-0297
    /// &lt;forwarded/&gt; with one &lt;message/&gt;). False with an error when the message is no wrapper or a malformed one.
    /// Says nothing about whether the wrapper is genuine: see XEP-0280 §11.
    /// </summary>
    public static bool TryUnwrap(Message wrapper, out CarbonDirection direction, [NotNullWhen(true)] out Message? copied, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(wrapper);
        direction = CarbonDirection.Received;
        copied = null;
        XElement? container = null;
        foreach (var element in wrapper.Payload)
        {
            if (element.Name == SentName || element.Name == ReceivedName)
            {
                if (container is not null)
                {
                    error = "more than one carbons wrapper";
                    return false;
                }

                container = element;
            }
        }

        if (container is null)
        {
            error = "no carbons <sent/> or <received/> element";
            return false;
        }

        direction = container.Name == SentName ? CarbonDirection.Sent : CarbonDirection.Received;
        var inner = container.Element(Forwarded)?.Element(ClientMessage);
        if (inner is null)
        {
            error = "the wrapper holds no <forwarded/> message";
            return false;
        }

        if (!StanzaCodec.TryParse(inner, out var stanza, out var parseError))
        {
            error = $"the forwarded message is invalid: {parseError}";
            return false;
        }

        copied = (Message)stanza;
        error = null;
        return true;
    }

    /// <summary>A carbon wrapper around <paramref name="copied"/> (tests, and a store's encoding of a published carbon).</summary>
    public static Message Wrap(CarbonDirection direction, Message copied, Jid? from, Jid? to)
    {
        ArgumentNullException.ThrowIfNull(copied);
        var container = new XElement(direction == CarbonDirection.Sent ? SentName : ReceivedName, new XElement(Forwarded, StanzaCodec.ToElement(copied)));
        return new Message { From = from, To = to, Type = copied.Type, Payload = [container] };
    }
}
