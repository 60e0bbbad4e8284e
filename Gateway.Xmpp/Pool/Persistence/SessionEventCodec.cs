using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Xml.Linq;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp.Pool.Persistence;

/// <summary>
/// Turns session events into a compact, stable UTF-8 form for storage, and back: stanzas as their XML, message
/// statuses (written for every sent message, three times) in a small positional format, everything else as a small
/// JSON object. Unknown kinds are refused rather than guessed.
/// </summary>
/// <remarks>
/// <para>
/// The status format, version 1: <c>~1;</c>, then the status as one letter (<c>q</c>ueued, <c>s</c>ent,
/// <c>a</c>cked, <c>d</c>elivered, <c>v</c>iewed = displayed, <c>f</c>ailed), the queue time in Unix milliseconds, the
/// update time as milliseconds after it, and the UTF-8 byte lengths of the message id, the recipient, the error
/// condition and the error text (<c>-</c> for none), each followed by <c>;</c>; then those four strings, back to
/// back. Lengths rather than separators: ids, JIDs and texts may contain any character.
/// For example <c>~1;a;1764600000123;84;2;7;-;-;m1bob@b.c</c>.
/// </para>
/// <para>Statuses written before it, as JSON objects (<c>{"messageId":…}</c>), still decode.</para>
/// </remarks>
public static class SessionEventCodec
{
    public const string MessageKind = "message";
    public const string PresenceKind = "presence";
    public const string RosterKind = "roster";
    public const string IqRequestKind = "iq-request";
    public const string StateKind = "state";
    public const string StatusKind = "message-status";
    public const string BlocklistKind = "blocklist";
    public const string RoomMessageKind = "room-message";
    public const string RoomOccupantKind = "room-occupant";
    public const string RoomSubjectKind = "room-subject";
    public const string RoomStateKind = "room-state";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static ReadOnlySpan<byte> StatusV1 => "~1;"u8;

    /// <summary>The longest header of the status format: marker, letter, two 20-digit numbers, four 11-digit lengths, separators.</summary>
    private const int MaxStatusHeader = 3 + 2 + (2 * 21) + (4 * 12);

    /// <summary>The kind name stored beside the data.</summary>
    public static string KindOf(SessionEvent sessionEvent) => sessionEvent switch
    {
        MessageReceived => MessageKind,
        PresenceReceived => PresenceKind,
        RosterPushed => RosterKind,
        IqRequestReceived => IqRequestKind,
        SessionStateChanged => StateKind,
        MessageStatusChanged => StatusKind,
        BlocklistChanged => BlocklistKind,
        RoomMessageReceived => RoomMessageKind,
        RoomOccupantChanged => RoomOccupantKind,
        RoomSubjectChanged => RoomSubjectKind,
        RoomStateChanged => RoomStateKind,
        _ => throw new ArgumentException($"Unknown event type {sessionEvent.GetType().Name}.", nameof(sessionEvent)),
    };

    /// <summary>The event's payload as text (the envelope fields are stored in their own columns): the UTF-8 <see cref="Encode(SessionEvent, IBufferWriter{byte})"/> writes, decoded.</summary>
    public static string Encode(SessionEvent sessionEvent)
    {
        var utf8 = new ArrayBufferWriter<byte>(256);
        Encode(sessionEvent, utf8);
        return Encoding.UTF8.GetString(utf8.WrittenSpan);
    }

    /// <summary>Writes the event's payload as UTF-8 (the envelope fields are stored in their own columns).</summary>
    /// <exception cref="ArgumentException">Unknown event type, or a stanza holding characters XML cannot carry.</exception>
    public static void Encode(SessionEvent sessionEvent, IBufferWriter<byte> utf8)
    {
        ArgumentNullException.ThrowIfNull(sessionEvent);
        ArgumentNullException.ThrowIfNull(utf8);
        switch (sessionEvent)
        {
            case MessageStatusChanged e:
                EncodeStatus(e.Status, utf8);
                break;
            case MessageReceived { Carbon: { } direction } e:
                // A published carbon copy is stored as a wrapper without 'from' or 'to' (see CarbonOf), which no server sends.
                EncodeStanza(CarbonElements.Wrap(direction, e.Message, from: null, to: null), utf8);
                break;
            case MessageReceived e:
                EncodeStanza(e.Message, utf8);
                break;
            case PresenceReceived e:
                EncodeStanza(e.Presence, utf8);
                break;
            case RosterPushed e:
                utf8.Write(JsonSerializer.SerializeToUtf8Bytes(new RosterData(e.Item.Jid.ToString(), e.Item.Name, e.Item.Subscription.ToString(), e.Item.PendingOut, [.. e.Item.Groups]), CodecJson.Default.RosterData));
                break;
            case IqRequestReceived e:
                utf8.Write(JsonSerializer.SerializeToUtf8Bytes(new IqRequestData(StanzaSerializer.ToXml(e.Request), e.AnswerBy.ToUnixTimeMilliseconds()), CodecJson.Default.IqRequestData));
                break;
            case SessionStateChanged e:
                utf8.Write(JsonSerializer.SerializeToUtf8Bytes(new StateData(e.State.ToString(), e.Reason, e.ReasonText), CodecJson.Default.StateData));
                break;
            case BlocklistChanged e:
                utf8.Write(JsonSerializer.SerializeToUtf8Bytes(new BlocklistData(e.Blocked, [.. e.Jids.Select(j => j.ToString())]), CodecJson.Default.BlocklistData));
                break;
            case RoomMessageReceived e:
                EncodeStanza(e.Message, utf8);
                break;
            case RoomOccupantChanged or RoomSubjectChanged or RoomStateChanged:
                RoomEventCodec.Encode(sessionEvent, utf8);
                break;
            default:
                throw new ArgumentException($"Unknown event type {sessionEvent.GetType().Name}.", nameof(sessionEvent));
        }
    }

    /// <summary>Rebuilds an event from its stored parts.</summary>
    /// <exception cref="FormatException">The stored data is not a valid event of that kind.</exception>
    public static SessionEvent Decode(string tenant, string sessionId, long eventId, DateTimeOffset receivedAt, string kind, string data)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(data);
        return kind == StatusKind && !data.StartsWith('{')
            ? Decode(tenant, sessionId, eventId, receivedAt, kind, Encoding.UTF8.GetBytes(data))
            : DecodeText(tenant, sessionId, eventId, receivedAt, kind, data);
    }

    /// <summary>Rebuilds an event from its stored parts, the payload as UTF-8.</summary>
    /// <exception cref="FormatException">The stored data is not a valid event of that kind.</exception>
    public static SessionEvent Decode(string tenant, string sessionId, long eventId, DateTimeOffset receivedAt, string kind, ReadOnlySpan<byte> utf8)
    {
        ArgumentNullException.ThrowIfNull(kind);
        if (kind != StatusKind || !utf8.StartsWith(StatusV1))
        {
            return DecodeText(tenant, sessionId, eventId, receivedAt, kind, DecodeUtf8(utf8, sessionId, eventId, kind));
        }

        try
        {
            return new MessageStatusChanged(tenant, sessionId, eventId, receivedAt, DecodeStatus(utf8));
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException or XmppException)
        {
            throw Unreadable(sessionId, eventId, kind, ex);
        }
    }

    /// <summary>A stanza as stored text (its XML), e.g. for an <see cref="IOutbox"/>.</summary>
    public static string EncodeStanza(Stanza stanza) => StanzaSerializer.ToXml(stanza);

    /// <summary>Writes a stanza's XML as UTF-8.</summary>
    /// <exception cref="ArgumentException">The stanza holds characters XML cannot carry.</exception>
    public static void EncodeStanza(Stanza stanza, IBufferWriter<byte> utf8)
    {
        ArgumentNullException.ThrowIfNull(stanza);
        ArgumentNullException.ThrowIfNull(utf8);
        // The thread's serializer: encoding is synchronous and the bytes are copied out at once.
        utf8.Write(StanzaSerializer.ForCurrentThread.Serialize(stanza).Span);
    }

    /// <summary>The stanza <see cref="EncodeStanza(Stanza)"/> stored.</summary>
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

    /// <summary>The stanza <see cref="EncodeStanza(Stanza, IBufferWriter{byte})"/> wrote.</summary>
    /// <exception cref="FormatException">The bytes are not a stanza.</exception>
    public static Stanza DecodeStanza(ReadOnlySpan<byte> utf8)
    {
        string xml;
        try
        {
            xml = StrictUtf8.GetString(utf8);
        }
        catch (DecoderFallbackException ex)
        {
            throw new FormatException("A stored stanza is not UTF-8.", ex);
        }

        return DecodeStanza(xml);
    }

    private static SessionEvent DecodeText(string tenant, string sessionId, long eventId, DateTimeOffset receivedAt, string kind, string data)
    {
        try
        {
            switch (kind)
            {
                case MessageKind:
                {
                    var message = (Message)ParseStanza(data);
                    return CarbonOf(message) is { } carbon
                        ? new MessageReceived(tenant, sessionId, eventId, receivedAt, carbon.Copied) { Carbon = carbon.Direction }
                        : new MessageReceived(tenant, sessionId, eventId, receivedAt, message);
                }

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

                case BlocklistKind:
                {
                    var blocklist = JsonSerializer.Deserialize(data, CodecJson.Default.BlocklistData) ?? throw new FormatException("Empty blocklist event.");
                    return new BlocklistChanged(tenant, sessionId, eventId, receivedAt, blocklist.Blocked, [.. blocklist.Jids.Select(Jid.Parse)]);
                }

                case RoomMessageKind:
                    return new RoomMessageReceived(tenant, sessionId, eventId, receivedAt, (Message)ParseStanza(data) is { From: not null } roomMessage ? roomMessage : throw new FormatException("A room message without 'from'."));
                case RoomOccupantKind or RoomSubjectKind or RoomStateKind:
                    return RoomEventCodec.Decode(tenant, sessionId, eventId, receivedAt, kind, data);
                case StatusKind:
                {
                    // Before the positional format (see the remarks): a JSON object with long names.
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
            throw Unreadable(sessionId, eventId, kind, ex);
        }
    }

    private static string DecodeUtf8(ReadOnlySpan<byte> utf8, string sessionId, long eventId, string kind)
    {
        try
        {
            return StrictUtf8.GetString(utf8);
        }
        catch (DecoderFallbackException ex)
        {
            throw Unreadable(sessionId, eventId, kind, ex);
        }
    }

    private static FormatException Unreadable(string sessionId, long eventId, string kind, Exception ex) =>
        new($"Stored event {sessionId}#{eventId.ToString(CultureInfo.InvariantCulture)} ({kind}) is not readable: {ex.Message}", ex);

    /// <summary>
    /// The carbon copy a stored message encodes: a carbons wrapper with neither 'from' nor 'to', as only
    /// <see cref="Encode(SessionEvent, IBufferWriter{byte})"/> writes it. A wrapper as received (from the account, or a
    /// stranger's forgery stored before copies were unwrapped) has a 'from' and stays the message it was.
    /// </summary>
    private static (Message Copied, CarbonDirection Direction)? CarbonOf(Message message) =>
        message is { From: null, To: null } && CarbonElements.TryUnwrap(message, out var direction, out var copied, out _)
            ? (copied, direction)
            : null;

    private static Stanza ParseStanza(string xml) => StanzaCodec.Parse(XElement.Parse(xml, LoadOptions.None));

    private static void EncodeStatus(MessageStatus status, IBufferWriter<byte> utf8)
    {
        var idLength = Encoding.UTF8.GetByteCount(status.MessageId);
        var to = status.To?.ToString();
        var toLength = to is null ? -1 : Encoding.UTF8.GetByteCount(to);
        var conditionLength = status.ErrorCondition is null ? -1 : Encoding.UTF8.GetByteCount(status.ErrorCondition);
        var textLength = status.ErrorText is null ? -1 : Encoding.UTF8.GetByteCount(status.ErrorText);
        var span = utf8.GetSpan(MaxStatusHeader + idLength + Math.Max(0, toLength) + Math.Max(0, conditionLength) + Math.Max(0, textLength));

        StatusV1.CopyTo(span);
        var at = StatusV1.Length;
        span[at++] = StatusLetter(status.Status);
        span[at++] = (byte)';';
        var queuedAt = status.QueuedAt.ToUnixTimeMilliseconds();
        WriteNumber(span, ref at, queuedAt);
        WriteNumber(span, ref at, status.UpdatedAt.ToUnixTimeMilliseconds() - queuedAt);
        WriteNumber(span, ref at, idLength);
        WriteLength(span, ref at, toLength);
        WriteLength(span, ref at, conditionLength);
        WriteLength(span, ref at, textLength);
        at += Encoding.UTF8.GetBytes(status.MessageId, span[at..]);
        at += to is null ? 0 : Encoding.UTF8.GetBytes(to, span[at..]);
        at += status.ErrorCondition is null ? 0 : Encoding.UTF8.GetBytes(status.ErrorCondition, span[at..]);
        at += status.ErrorText is null ? 0 : Encoding.UTF8.GetBytes(status.ErrorText, span[at..]);
        utf8.Advance(at);

        static void WriteLength(Span<byte> span, ref int at, int length)
        {
            if (length < 0)
            {
                span[at++] = (byte)'-';
                span[at++] = (byte)';';
            }
            else
            {
                WriteNumber(span, ref at, length);
            }
        }

        static void WriteNumber(Span<byte> span, ref int at, long value)
        {
            Utf8Formatter.TryFormat(value, span[at..], out var written);
            at += written;
            span[at++] = (byte)';';
        }
    }

    /// <exception cref="FormatException">Not the status format.</exception>
    private static MessageStatus DecodeStatus(ReadOnlySpan<byte> data)
    {
        var rest = data[StatusV1.Length..];
        if (rest.Length < 2 || rest[1] != (byte)';')
        {
            throw new FormatException("A stored message status has no status letter.");
        }

        var status = StatusOf(rest[0]);
        rest = rest[2..];
        var queuedAt = ReadNumber(ref rest);
        var updatedAt = checked(queuedAt + ReadNumber(ref rest));
        var idLength = ReadLength(ref rest) ?? throw new FormatException("A stored message status has no message id.");
        var toLength = ReadLength(ref rest);
        var conditionLength = ReadLength(ref rest);
        var textLength = ReadLength(ref rest);
        if ((long)idLength + (toLength ?? 0) + (conditionLength ?? 0) + (textLength ?? 0) != rest.Length)
        {
            throw new FormatException("A stored message status does not have the length its header announces.");
        }

        var id = ReadString(ref rest, idLength);
        var to = toLength is { } t ? Jid.Parse(ReadString(ref rest, t)) : null;
        return new MessageStatus(id, to, status, DateTimeOffset.FromUnixTimeMilliseconds(queuedAt), DateTimeOffset.FromUnixTimeMilliseconds(updatedAt))
        {
            ErrorCondition = conditionLength is { } c ? ReadString(ref rest, c) : null,
            ErrorText = textLength is { } x ? ReadString(ref rest, x) : null,
        };

        static long ReadNumber(ref ReadOnlySpan<byte> rest)
        {
            if (!Utf8Parser.TryParse(rest, out long value, out var consumed) || consumed >= rest.Length || rest[consumed] != (byte)';')
            {
                throw new FormatException("A stored message status has a malformed number.");
            }

            rest = rest[(consumed + 1)..];
            return value;
        }

        static int? ReadLength(ref ReadOnlySpan<byte> rest)
        {
            if (rest.StartsWith("-;"u8))
            {
                rest = rest[2..];
                return null;
            }

            var length = ReadNumber(ref rest);
            return length is >= 0 and <= int.MaxValue ? (int)length : throw new FormatException("A stored message status has a negative length.");
        }

        static string ReadString(ref ReadOnlySpan<byte> rest, int length)
        {
            string value;
            try
            {
                value = StrictUtf8.GetString(rest[..length]);
            }
            catch (DecoderFallbackException ex)
            {
                throw new FormatException("A stored message status is not UTF-8.", ex);
            }

            rest = rest[length..];
            return value;
        }
    }

    private static byte StatusLetter(DeliveryStatus status) => status switch
    {
        DeliveryStatus.Queued => (byte)'q',
        DeliveryStatus.Sent => (byte)'s',
        DeliveryStatus.Acked => (byte)'a',
        DeliveryStatus.Delivered => (byte)'d',
        DeliveryStatus.Displayed => (byte)'v',
        DeliveryStatus.Failed => (byte)'f',
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown delivery status."),
    };

    private static DeliveryStatus StatusOf(byte letter) => letter switch
    {
        (byte)'q' => DeliveryStatus.Queued,
        (byte)'s' => DeliveryStatus.Sent,
        (byte)'a' => DeliveryStatus.Acked,
        (byte)'d' => DeliveryStatus.Delivered,
        (byte)'v' => DeliveryStatus.Displayed,
        (byte)'f' => DeliveryStatus.Failed,
        _ => throw new FormatException($"Unknown stored delivery status '{(char)letter}'."),
    };

    internal sealed record RosterData(string Jid, string? Name, string Subscription, bool PendingOut, string[] Groups);

    internal sealed record IqRequestData(string Xml, long AnswerByUnixMs);

    internal sealed record StateData(string State, string? Reason, string? ReasonText);

    internal sealed record BlocklistData(bool Blocked, string[] Jids);

    /// <summary>How statuses were stored before the positional format: read, never written.</summary>
    internal sealed record StatusData(string MessageId, string? To, string Status, long QueuedAtUnixMs, long UpdatedAtUnixMs, string? ErrorCondition, string? ErrorText);
}

[JsonSerializable(typeof(SessionEventCodec.RosterData))]
[JsonSerializable(typeof(SessionEventCodec.IqRequestData))]
[JsonSerializable(typeof(SessionEventCodec.StateData))]
[JsonSerializable(typeof(SessionEventCodec.StatusData))]
[JsonSerializable(typeof(SessionEventCodec.BlocklistData))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class CodecJson : JsonSerializerContext;
