// XEP-0280: Message Carbons (v1.0.1) https://xmpp.org/extensions/xep-0280.html
using Gateway.Xmpp.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Pool;

/// <summary>What an incoming message is, as far as carbons go.</summary>
internal enum InboundKind
{
    /// <summary>An ordinary message: published as it is.</summary>
    Plain,

    /// <summary>A genuine carbon copy: the copied message is published, marked with its direction.</summary>
    Carbon,

    /// <summary>A forged, malformed or echoed carbon: dropped.</summary>
    Dropped,
}

/// <summary>An incoming message after carbon unwrapping: the message to publish and, for a carbon, which way it went.</summary>
internal readonly record struct InboundMessage(InboundKind Kind, Message Message, CarbonDirection? Carbon);

/// <summary>
/// Unwraps the carbon copies a session receives and refuses those it must not believe (XEP-0280 §11: a copy MUST come
/// from the account's own bare JID, anything else MUST be ignored). Also refused, as nonsense a server never sends: a
/// copy whose inner message is not the account's (a sent copy not from the account, a received copy not to it), and a
/// sent copy of what this very resource sent (§8: the server does not copy back to the sender; the session knows what
/// it sent, and its delivery tracking must not see it twice).
/// </summary>
/// <param name="account">The session's account (its bare JID counts).</param>
/// <param name="tenant">The owning tenant, for logs.</param>
/// <param name="sessionId">The session, for logs.</param>
/// <param name="logger">Where refusals are logged.</param>
internal sealed class CarbonCopies(Jid account, string tenant, string sessionId, ILogger logger)
{
    private readonly Jid _account = account.Bare;

    /// <summary>Classifies <paramref name="message"/>, received on a stream bound to <paramref name="boundJid"/>.</summary>
    public InboundMessage Classify(Message message, Jid? boundJid)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!CarbonElements.IsWrapper(message))
        {
            return new InboundMessage(InboundKind.Plain, message, null);
        }

        if (message.From != _account)
        {
            // §11: anyone but the account itself (another user, a server, a full JID of ours) may not hand us copies.
            return Drop(message, "the wrapper is not from the account's bare JID");
        }

        if (!CarbonElements.TryUnwrap(message, out var direction, out var copied, out var error))
        {
            return Drop(message, error);
        }

        if (direction == CarbonDirection.Sent && copied.From?.Bare != _account)
        {
            return Drop(message, "a sent copy of a message not sent by the account");
        }

        if (direction == CarbonDirection.Received && copied.To?.Bare != _account)
        {
            return Drop(message, "a received copy of a message not addressed to the account");
        }

        if (direction == CarbonDirection.Sent && boundJid is not null && copied.From == boundJid)
        {
            // Not hostile, only redundant: no warning.
            return new InboundMessage(InboundKind.Dropped, message, null);
        }

        return new InboundMessage(InboundKind.Carbon, copied, direction);
    }

    private InboundMessage Drop(Message message, string reason)
    {
        Log.CarbonDropped(logger, tenant, sessionId, reason);
        return new InboundMessage(InboundKind.Dropped, message, null);
    }
}
