using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Xml.Linq;

namespace Gateway.Xmpp.Pool.Persistence;

/// <summary>
/// Turns session events into a compact, stable text form for storage, and back: stanzas as their XML,
/// everything else as a small JSON object. Unknown kinds are refused rather than guessed.
/// </summary>
public static class SessionEventCodec
{
    public const string MessageKind = "message";
    public const string PresenceKind = "presence";
    public const string RosterKind = "roster";
    public const string IqRequestKind = "iq-request";
    public const string StateKind = "state";
    public const string StatusKind = "message-status";

    /// <summary>The kind name stored beside the data.</summary>
    public static string KindOf(SessionEvent sessionEvent) => sessionEvent switch
    {
        MessageReceived => MessageKind,
        PresenceReceived => PresenceKind,
        RosterPushed => RosterKind,
        IqRequestReceived => IqRequestKind,
        SessionStateChanged => StateKind,
        MessageStatusChanged => StatusKind,
        _ => throw new ArgumentException($"Unknown event type {sessionEvent.GetType().Name}.", nameof(sessionEvent)),
    };

    /// <summary>The event's payload as text (the envelope fields are stored in their own columns).</summary>
    public static string Encode(SessionEvent sessionEvent) => sessionEvent switch
    {
        MessageReceived e => Protocol.StanzaSerializer.ToXml(e.Message),
        PresenceReceived e => Protocol.StanzaSerializer.ToXml(e.Presence),
        RosterPushed e => JsonSerializer.Serialize(new RosterData(e.Item.Jid.ToString(), e.Item.Name, e.Item.Subscription.ToString(), e.Item.PendingOut, [.. e.Item.Groups]), CodecJson.Default.RosterData),
        IqRequestReceived e => JsonSerializer.Serialize(new IqRequestData(Protocol.StanzaSerializer.ToXml(e.Request), e.AnswerBy.ToUnixTimeMilliseconds()), CodecJson.Default.IqRequestData),
        SessionStateChanged e => JsonSerializer.Serialize(new StateData(e.State.ToString(), e.Reason, e.ReasonText), CodecJson.Default.StateData),
        MessageStatusChanged e => JsonSerializer.Serialize(
            new StatusData(e.Status.MessageId, e.Status.To?.ToString(), e.Status.Status.ToString(), e.Status.QueuedAt.ToUnixTimeMilliseconds(), e.Status.UpdatedAt.ToUnixTimeMilliseconds(), e.Status.ErrorCondition, e.Status.ErrorText),
            CodecJson.Default.StatusData),
        _ => throw new ArgumentException($"Unknown event type {sessionEvent.GetType().Name}.", nameof(sessionEvent)),
    };

    /// <summary>Rebuilds an event from its stored parts.</summary>
    /// <exception cref="FormatException">The stored data is not a valid event of that kind.</exception>
    public static SessionEvent Decode(string tenant, string sessionId, long eventId, DateTimeOffset receivedAt, string kind, string data)
    {
        try
        {
            switch (kind)
            {
                case MessageKind:
                    return new MessageReceived(tenant, sessionId, eventId, receivedAt, (Message)ParseStanza(data));
                case PresenceKind:
                    return new PresenceReceived(tenant, sessionId, eventId, receivedAt, (Presence)ParseStanza(data));
                case RosterKind:
                {
                    var roster = JsonSerializer.Deserialize(data, CodecJson.Default.RosterData) ?? throw new FormatException("Empty roster event.");
                    var item = new RosterItem(Jid.Parse(roster.Jid))
                    {
                        Name = roster.Name,
                        Subscription = Enum.Parse<RosterSubscription>(roster.Subscription),
                        PendingOut = roster.PendingOut,
                        Groups = [.. roster.Groups],
                    };
                    return new RosterPushed(tenant, sessionId, eventId, receivedAt, item);
                }

                case IqRequestKind:
                {
                    var iq = JsonSerializer.Deserialize(data, CodecJson.Default.IqRequestData) ?? throw new FormatException("Empty IQ event.");
                    return new IqRequestReceived(tenant, sessionId, eventId, receivedAt, (Iq)ParseStanza(iq.Xml), DateTimeOffset.FromUnixTimeMilliseconds(iq.AnswerByUnixMs));
                }

                case StateKind:
                {
                    var state = JsonSerializer.Deserialize(data, CodecJson.Default.StateData) ?? throw new FormatException("Empty state event.");
                    return new SessionStateChanged(tenant, sessionId, eventId, receivedAt, Enum.Parse<SessionState>(state.State), state.Reason, state.ReasonText);
                }

                case StatusKind:
                {
                    var status = JsonSerializer.Deserialize(data, CodecJson.Default.StatusData) ?? throw new FormatException("Empty status event.");
                    var value = new MessageStatus(
                        status.MessageId,
                        status.To is null ? null : Jid.Parse(status.To),
                        Enum.Parse<DeliveryStatus>(status.Status),
                        DateTimeOffset.FromUnixTimeMilliseconds(status.QueuedAtUnixMs),
                        DateTimeOffset.FromUnixTimeMilliseconds(status.UpdatedAtUnixMs))
                    {
                        ErrorCondition = status.ErrorCondition,
                        ErrorText = status.ErrorText,
                    };
                    return new MessageStatusChanged(tenant, sessionId, eventId, receivedAt, value);
                }

                default:
                    throw new FormatException($"Unknown stored event kind '{kind}'.");
            }
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidCastException or System.Xml.XmlException or XmppException)
        {
            throw new FormatException($"Stored event {sessionId}#{eventId.ToString(CultureInfo.InvariantCulture)} ({kind}) is not readable: {ex.Message}", ex);
        }
    }

    private static Stanza ParseStanza(string xml) => StanzaCodec.Parse(XElement.Parse(xml, LoadOptions.None));

    /// <summary>A stanza as stored text (its XML), e.g. for an <see cref="IOutbox"/>.</summary>
    public static string EncodeStanza(Stanza stanza) => Protocol.StanzaSerializer.ToXml(stanza);

    /// <summary>The stanza <see cref="EncodeStanza"/> stored.</summary>
    /// <exception cref="FormatException">The text is not a stanza.</exception>
    public static Stanza DecodeStanza(string xml)
    {
        try
        {
            return ParseStanza(xml);
        }
        catch (System.Xml.XmlException ex)
        {
            throw new FormatException("A stored stanza is not well-formed XML.", ex);
        }
    }

    internal sealed record RosterData(string Jid, string? Name, string Subscription, bool PendingOut, string[] Groups);

    internal sealed record IqRequestData(string Xml, long AnswerByUnixMs);

    internal sealed record StateData(string State, string? Reason, string? ReasonText);

    internal sealed record StatusData(string MessageId, string? To, string Status, long QueuedAtUnixMs, long UpdatedAtUnixMs, string? ErrorCondition, string? ErrorText);
}

[JsonSerializable(typeof(SessionEventCodec.RosterData))]
[JsonSerializable(typeof(SessionEventCodec.IqRequestData))]
[JsonSerializable(typeof(SessionEventCodec.StateData))]
[JsonSerializable(typeof(SessionEventCodec.StatusData))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class CodecJson : JsonSerializerContext;
