// XEP-0085: Chat State Notifications (v2.1) https://xmpp.org/extensions/xep-0085.html
using System.Diagnostics.CodeAnalysis;
using System.Xml.Linq;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp;

/// <summary>XEP-0085 §2: the five chat states of a conversation participant.</summary>
public enum ChatState
{
    Active,
    Composing,
    Paused,
    Inactive,
    Gone,
}

/// <summary>Reads and writes the XEP-0085 chat state element.</summary>
public static class ChatStateElements
{
    /// <summary>The element for <paramref name="state"/>, e.g. <c>&lt;composing xmlns='http://jabber.org/protocol/chatstates'/&gt;</c>.</summary>
    public static XElement Create(ChatState state) => new(XName.Get(ToWire(state), Ns.ChatStates));

    /// <summary>
    /// The message's chat state; null when it carries none. XEP-0085 §5.1: a message contains at most one chat state; of
    /// several, the first counts. An element of the namespace with an undefined name is no state.
    /// </summary>
    public static ChatState? Read(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        foreach (var element in message.Payload)
        {
            if (element.Name.NamespaceName == Ns.ChatStates && TryParse(element.Name.LocalName, out var state))
            {
                return state;
            }
        }

        return null;
    }

    /// <summary>The wire name (the element's local name) of the state.</summary>
    public static string ToWire(ChatState state) => state switch
    {
        ChatState.Active => "active",
        ChatState.Composing => "composing",
        ChatState.Paused => "paused",
        ChatState.Inactive => "inactive",
        ChatState.Gone => "gone",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Not a XEP-0085 chat state."),
    };

    /// <summary>Parses a wire name: active, composing, paused, inactive or gone.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, out ChatState state)
    {
        (var known, state) = value switch
        {
            "active" => (true, ChatState.Active),
            "composing" => (true, ChatState.Composing),
            "paused" => (true, ChatState.Paused),
            "inactive" => (true, ChatState.Inactive),
            "gone" => (true, ChatState.Gone),
            _ => (false, ChatState.Active),
        };
        return known;
    }
}
