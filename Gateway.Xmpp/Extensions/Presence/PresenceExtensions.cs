// RFC 6121 §3 (subscriptions) and §4 (exchanging presence)
namespace Gateway.Xmpp;

/// <summary>Presence helpers: availability and the subscription handshake.</summary>
public static class PresenceExtensions
{
    /// <summary>RFC 6121 §4.2: initial presence; the server then broadcasts it and probes contacts.</summary>
    public static Task SendInitialPresenceAsync(this IStanzaSender client, PresenceShow show = PresenceShow.None, string? status = null, sbyte? priority = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.SendAsync(new Presence { Show = show, Status = status, Priority = priority }, cancellationToken);
    }

    /// <summary>RFC 6121 §3.1.1: asks to see the contact's presence.</summary>
    public static Task SubscribeAsync(this IStanzaSender client, Jid contact, CancellationToken cancellationToken = default) =>
        SendSubscriptionAsync(client, contact, PresenceType.Subscribe, cancellationToken);

    /// <summary>RFC 6121 §3.1.4: approves a contact's subscription request (or pre-approves it, §3.4).</summary>
    public static Task ApproveSubscriptionAsync(this IStanzaSender client, Jid contact, CancellationToken cancellationToken = default) =>
        SendSubscriptionAsync(client, contact, PresenceType.Subscribed, cancellationToken);

    /// <summary>RFC 6121 §3.1.4 / §3.2: refuses a request, or cancels a subscription granted earlier.</summary>
    public static Task DenySubscriptionAsync(this IStanzaSender client, Jid contact, CancellationToken cancellationToken = default) =>
        SendSubscriptionAsync(client, contact, PresenceType.Unsubscribed, cancellationToken);

    /// <summary>RFC 6121 §3.3: stops seeing the contact's presence.</summary>
    public static Task UnsubscribeAsync(this IStanzaSender client, Jid contact, CancellationToken cancellationToken = default) =>
        SendSubscriptionAsync(client, contact, PresenceType.Unsubscribe, cancellationToken);

    private static Task SendSubscriptionAsync(IStanzaSender client, Jid contact, PresenceType type, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(contact);
        // RFC 6121 §3.1.1: subscription stanzas are addressed to the bare JID.
        return client.SendAsync(new Presence { To = contact.Bare, Type = type }, cancellationToken);
    }
}
