// XEP-0444: Message Reactions (v0.2.0) https://xmpp.org/extensions/xep-0444.html
using System.Collections.Immutable;
using System.Xml.Linq;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp;

/// <summary>
/// The reactions of the sender to one message: the complete set (XEP-0444 §4.2: every update carries all reactions
/// still applicable; an empty set removes them all).
/// </summary>
/// <param name="Id">The message reacted to (§6.1: its origin-id or 'id'; in a groupchat the room's stanza-id).</param>
/// <param name="Emojis">The reactions, each once (§5).</param>
public sealed record MessageReactions(string Id, ImmutableArray<string> Emojis);

/// <summary>Reads and writes the XEP-0444 reactions element.</summary>
public static class ReactionElements
{
    public static readonly XName Reactions = XName.Get("reactions", Ns.Reactions);
    public static readonly XName Reaction = XName.Get("reaction", Ns.Reactions);

    public static XElement Create(MessageReactions reactions)
    {
        ArgumentNullException.ThrowIfNull(reactions);
        var element = new XElement(Reactions, new XAttribute("id", CorrectionElements.ThrowIfEmpty(reactions.Id)));
        foreach (var emoji in reactions.Emojis)
        {
            element.Add(new XElement(Reaction, emoji));
        }

        return element;
    }

    /// <summary>
    /// The message's reactions; null when it carries none (or the element has no id). §5: a repeated reaction is
    /// ignored, and so is an empty one.
    /// </summary>
    public static MessageReactions? Read(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.FindPayload(Reactions) is not { } element || (string?)element.Attribute("id") is not { Length: > 0 } id)
        {
            return null;
        }

        var emojis = ImmutableArray.CreateBuilder<string>();
        foreach (var reaction in element.Elements(Reaction))
        {
            var emoji = reaction.Value;
            if (emoji.Length > 0 && !emojis.Contains(emoji))
            {
                emojis.Add(emoji);
            }
        }

        return new MessageReactions(id, emojis.ToImmutable());
    }
}
