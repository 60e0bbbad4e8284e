// XEP-0461: Message Replies (v0.3.0) https://xmpp.org/extensions/xep-0461.html
using System.Xml.Linq;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp;

/// <summary>What a message replies to: the referenced message's id and, optionally, its author.</summary>
/// <param name="Id">XEP-0461 §5.1: the referenced message's 'id' (in a groupchat: the room's XEP-0359 stanza-id).</param>
/// <param name="To">XEP-0461 §4: the author of the referenced message (SHOULD be present; a bare JID in 1:1 chats).</param>
public sealed record MessageReply(string Id, Jid? To);

/// <summary>Reads and writes the XEP-0461 reply element.</summary>
public static class ReplyElements
{
    public static readonly XName Reply = XName.Get("reply", Ns.Reply);

    public static XElement Create(MessageReply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var element = new XElement(Reply);
        if (reply.To is not null)
        {
            element.Add(new XAttribute("to", reply.To.ToString()));
        }

        element.Add(new XAttribute("id", CorrectionElements.ThrowIfEmpty(reply.Id)));
        return element;
    }

    /// <summary>What the message replies to; null when it is no reply (or the reply element has no id, §4: MUST).</summary>
    public static MessageReply? Read(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.FindPayload(Reply) is not { } element || (string?)element.Attribute("id") is not { Length: > 0 } id)
        {
            return null;
        }

        // An unparsable 'to' is dropped, not the reply: the id alone still names the message.
        return new MessageReply(id, Jid.TryParse((string?)element.Attribute("to"), out var to, out _) ? to : null);
    }
}
