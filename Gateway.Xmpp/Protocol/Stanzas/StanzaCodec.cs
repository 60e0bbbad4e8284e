using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Xml;
using System.Xml.Linq;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp;

/// <summary>
/// Converts between stanza elements and the immutable <see cref="Stanza"/> records. Pure: no I/O.
/// Everything that is not modelled is kept in <see cref="Stanza.Payload"/> so it survives a round trip.
/// </summary>
public static class StanzaCodec
{
    private static readonly XNamespace Client = Ns.Client;
    private static readonly XNamespace StanzaErrors = Ns.Stanzas;
    private static readonly XName XmlLang = XNamespace.Xml + "lang";
    private static readonly XName ErrorName = Client + "error";

    // Atomised once: a string converted to an XName on every lookup costs a global name-table lookup each time.
    private static readonly XName ToName = XNamespace.None + "to";
    private static readonly XName FromName = XNamespace.None + "from";
    private static readonly XName IdName = XNamespace.None + "id";
    private static readonly XName TypeName = XNamespace.None + "type";
    private static readonly XName ParentName = XNamespace.None + "parent";
    private static readonly XName BodyName = Client + "body";
    private static readonly XName SubjectName = Client + "subject";
    private static readonly XName ThreadName = Client + "thread";
    private static readonly XName ShowName = Client + "show";
    private static readonly XName StatusName = Client + "status";
    private static readonly XName PriorityName = Client + "priority";
    private static readonly XName MessageName = Client + "message";
    private static readonly XName PresenceName = Client + "presence";
    private static readonly XName IqName = Client + "iq";

    /// <summary>True when the element is a stanza of the client namespace (RFC 6120 §4.8.1).</summary>
    public static bool IsStanza(XElement element) =>
        element.Name == MessageName || element.Name == PresenceName || element.Name == IqName;

    /// <summary>Parses a stanza element; throws <see cref="XmppProtocolException"/> with <c>bad-format</c> when it is invalid.</summary>
    public static Stanza Parse(XElement element) =>
        TryParse(element, out var stanza, out var error)
            ? stanza
            : throw new XmppProtocolException(StreamErrorCondition.BadFormat, error);

    /// <summary>Parses a stanza element, or says what is wrong with it.</summary>
    public static bool TryParse(XElement element, [NotNullWhen(true)] out Stanza? stanza, [NotNullWhen(false)] out string? error)
    {
        stanza = null;
        if (!IsStanza(element))
        {
            error = $"'{element.Name.LocalName}' in namespace '{element.Name.NamespaceName}' is not a message, presence or iq stanza in '{Ns.Client}'.";
            return false;
        }

        // One pass over the attributes; the first of a name wins, as with Attribute(name).
        string? toValue = null, fromValue = null, id = null, lang = null, typeValue = null;
        for (var attribute = element.FirstAttribute; attribute is not null; attribute = attribute.NextAttribute)
        {
            var name = attribute.Name;
            if (name == ToName)
            {
                toValue ??= attribute.Value;
            }
            else if (name == FromName)
            {
                fromValue ??= attribute.Value;
            }
            else if (name == IdName)
            {
                id ??= attribute.Value;
            }
            else if (name == TypeName)
            {
                typeValue ??= attribute.Value;
            }
            else if (name == XmlLang)
            {
                lang ??= attribute.Value;
            }
        }

        if (!TryParseAddress(toValue, "to", out var to, out error) || !TryParseAddress(fromValue, "from", out var from, out error))
        {
            return false;
        }

        StanzaError? stanzaError = null;
        var payload = new PayloadBuilder();

        // XNames are atomised: comparing them is comparing references.
        var elementName = element.Name;
        if (elementName == MessageName)
        {
            string? body = null, subject = null, thread = null, parentThread = null;
            for (var child = FirstChildElement(element); child is not null; child = NextSiblingElement(child))
            {
                if (child.Name == BodyName && body is null && IsDefaultLanguage(child, lang))
                {
                    body = child.Value;
                }
                else if (child.Name == SubjectName && subject is null && IsDefaultLanguage(child, lang))
                {
                    subject = child.Value;
                }
                else if (child.Name == ThreadName && thread is null)
                {
                    thread = child.Value;
                    parentThread = (string?)child.Attribute(ParentName);
                }
                else if (child.Name == ErrorName && stanzaError is null)
                {
                    stanzaError = ParseError(child);
                }
                else
                {
                    payload.Add(child);
                }
            }

            // RFC 6121 §5.2.2: a missing or unknown type is treated as 'normal'.
            var type = typeValue switch
            {
                "chat" => MessageType.Chat,
                "groupchat" => MessageType.Groupchat,
                "headline" => MessageType.Headline,
                "error" => MessageType.Error,
                _ => MessageType.Normal,
            };
            stanza = new Message
            {
                To = to, From = from, Id = id, Language = lang, Type = type, Body = body, Subject = subject,
                Thread = thread, ParentThread = parentThread, Error = stanzaError, Payload = payload.ToImmutable(),
            };
            return true;
        }

        if (elementName == PresenceName)
        {
            if (!TryParsePresenceType(typeValue, out var type))
            {
                error = $"Presence type '{typeValue}' is not defined by RFC 6121 §4.7.1.";
                return false;
            }

            var show = PresenceShow.None;
            string? status = null;
            sbyte? priority = null;
            for (var child = FirstChildElement(element); child is not null; child = NextSiblingElement(child))
            {
                if (child.Name == ShowName && show == PresenceShow.None && TryParseShow(child.Value, out var parsedShow))
                {
                    show = parsedShow;
                }
                else if (child.Name == StatusName && status is null && IsDefaultLanguage(child, lang))
                {
                    status = child.Value;
                }
                else if (child.Name == PriorityName && priority is null
                    && sbyte.TryParse(child.Value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsedPriority))
                {
                    priority = parsedPriority;
                }
                else if (child.Name == ErrorName && stanzaError is null)
                {
                    stanzaError = ParseError(child);
                }
                else
                {
                    payload.Add(child);
                }
            }

            stanza = new Presence
            {
                To = to, From = from, Id = id, Language = lang, Type = type, Show = show, Status = status,
                Priority = priority, Error = stanzaError, Payload = payload.ToImmutable(),
            };
            return true;
        }

        // What IsStanza left is an iq (RFC 6120 §8.2.3).
        if (!TryParseIqType(typeValue, out var iqType))
        {
            error = $"IQ type '{typeValue}' is not one of get, set, result, error (RFC 6120 §8.2.3).";
            return false;
        }

        if (string.IsNullOrEmpty(id))
        {
            error = "An IQ stanza must carry an 'id' attribute (RFC 6120 §8.2.3).";
            return false;
        }

        for (var child = FirstChildElement(element); child is not null; child = NextSiblingElement(child))
        {
            if (child.Name == ErrorName && stanzaError is null && iqType == IqType.Error)
            {
                stanzaError = ParseError(child);
            }
            else
            {
                payload.Add(child);
            }
        }

        if (iqType is IqType.Get or IqType.Set && payload.Count != 1)
        {
            error = $"An IQ of type '{typeValue}' must contain exactly one child element (RFC 6120 §8.2.3), not {payload.Count}.";
            return false;
        }

        stanza = new Iq
        {
            To = to, From = from, Id = id, Language = lang, Type = iqType, Error = stanzaError,
            Payload = payload.ToImmutable(),
        };
        return true;
    }

    // Element children without the iterator Elements() allocates. HasElements first: FirstNode would turn text-only
    // content into a text node, and parsing must not change the tree it reads.
    private static XElement? FirstChildElement(XElement parent) =>
        parent.HasElements ? NextElement(parent.FirstNode) : null;

    private static XElement? NextSiblingElement(XElement element) => NextElement(element.NextNode);

    private static XElement? NextElement(XNode? node)
    {
        while (node is not null and not XElement)
        {
            node = node.NextNode;
        }

        return (XElement?)node;
    }

    /// <summary>Builds the element for a stanza, in the <c>jabber:client</c> namespace.</summary>
    public static XElement ToElement(Stanza stanza)
    {
        var element = new XElement(Client + stanza.ElementName);
        AddAttribute(element, "type", TypeWireName(stanza));
        AddAttribute(element, "id", stanza.Id);
        AddAttribute(element, "to", stanza.To?.ToString());
        AddAttribute(element, "from", stanza.From?.ToString());
        if (stanza.Language is not null)
        {
            element.SetAttributeValue(XmlLang, stanza.Language);
        }

        switch (stanza)
        {
            case Message message:
                AddChild(element, "subject", message.Subject);
                AddChild(element, "body", message.Body);
                if (message.Thread is not null)
                {
                    var thread = new XElement(Client + "thread", message.Thread);
                    AddAttribute(thread, "parent", message.ParentThread);
                    element.Add(thread);
                }

                break;
            case Presence presence:
                AddChild(element, "show", ShowWireName(presence.Show));
                AddChild(element, "status", presence.Status);
                AddChild(element, "priority", presence.Priority?.ToString(CultureInfo.InvariantCulture));
                break;
        }

        foreach (var payload in stanza.Payload)
        {
            element.Add(new XElement(payload));
        }

        if (stanza.Error is { } error)
        {
            element.Add(ErrorToElement(error));
        }

        return element;
    }

    /// <summary>
    /// Writes a stanza straight to an <see cref="XmlWriter"/> without building an intermediate tree: the hot
    /// path of sending. Produces the same XML as <see cref="ToElement"/>.
    /// </summary>
    public static void Write(Stanza stanza, XmlWriter writer)
    {
        writer.WriteStartElement(stanza.ElementName, Ns.Client);
        WriteAttribute(writer, "type", TypeWireName(stanza));
        WriteAttribute(writer, "id", stanza.Id);
        WriteAttribute(writer, "to", stanza.To?.ToString());
        WriteAttribute(writer, "from", stanza.From?.ToString());
        if (stanza.Language is not null)
        {
            writer.WriteAttributeString("xml", "lang", Ns.Xml, stanza.Language);
        }

        switch (stanza)
        {
            case Message message:
                WriteChild(writer, "subject", message.Subject);
                WriteChild(writer, "body", message.Body);
                if (message.Thread is not null)
                {
                    writer.WriteStartElement("thread", Ns.Client);
                    WriteAttribute(writer, "parent", message.ParentThread);
                    writer.WriteString(message.Thread);
                    writer.WriteEndElement();
                }

                break;
            case Presence presence:
                WriteChild(writer, "show", ShowWireName(presence.Show));
                WriteChild(writer, "status", presence.Status);
                WriteChild(writer, "priority", presence.Priority?.ToString(CultureInfo.InvariantCulture));
                break;
        }

        foreach (var payload in stanza.Payload)
        {
            payload.WriteTo(writer);
        }

        if (stanza.Error is { } error)
        {
            ErrorToElement(error).WriteTo(writer);
        }

        writer.WriteEndElement();
    }

    /// <summary>Parses an <c>&lt;error/&gt;</c> child (RFC 6120 §8.3.2).</summary>
    public static StanzaError ParseError(XElement error)
    {
        if (!StanzaErrorWireNames.TryParseType((string?)error.Attribute("type"), out var type))
        {
            type = StanzaErrorType.Cancel;
        }

        var condition = StanzaErrorCondition.UndefinedCondition;
        string? text = null, redirect = null;
        XElement? applicationCondition = null;
        var conditionSeen = false;
        foreach (var child in error.Elements())
        {
            if (child.Name.Namespace == StanzaErrors)
            {
                if (child.Name.LocalName == "text")
                {
                    text ??= child.Value;
                }
                else if (!conditionSeen)
                {
                    condition = StanzaErrorWireNames.ParseCondition(child.Name.LocalName);
                    redirect = string.IsNullOrEmpty(child.Value) ? null : child.Value;
                    conditionSeen = true;
                }
            }
            else
            {
                applicationCondition ??= child;
            }
        }

        if (!conditionSeen && type == StanzaErrorType.Cancel && error.Attribute("type") is null)
        {
            type = StanzaError.DefaultType(condition);
        }

        return new StanzaError(type, condition, text)
        {
            By = (string?)error.Attribute("by"),
            RedirectUri = redirect,
            ApplicationCondition = applicationCondition,
        };
    }

    /// <summary>Builds an <c>&lt;error/&gt;</c> element (RFC 6120 §8.3.2).</summary>
    public static XElement ErrorToElement(StanzaError error)
    {
        var element = new XElement(ErrorName, new XAttribute("type", error.Type.ToWire()));
        AddAttribute(element, "by", error.By);
        element.Add(new XElement(StanzaErrors + error.Condition.ToWire(), error.RedirectUri));
        if (error.Text is not null)
        {
            element.Add(new XElement(StanzaErrors + "text", error.Text));
        }

        if (error.ApplicationCondition is not null)
        {
            element.Add(new XElement(error.ApplicationCondition));
        }

        return element;
    }

    /// <summary>The wire value of the stanza's type attribute; null where the type is implied (normal message, available presence).</summary>
    public static string? TypeWireName(Stanza stanza) => stanza switch
    {
        Message m => m.Type switch
        {
            MessageType.Chat => "chat",
            MessageType.Groupchat => "groupchat",
            MessageType.Headline => "headline",
            MessageType.Error => "error",
            _ => null,
        },
        Presence p => p.Type switch
        {
            PresenceType.Unavailable => "unavailable",
            PresenceType.Subscribe => "subscribe",
            PresenceType.Subscribed => "subscribed",
            PresenceType.Unsubscribe => "unsubscribe",
            PresenceType.Unsubscribed => "unsubscribed",
            PresenceType.Probe => "probe",
            PresenceType.Error => "error",
            _ => null,
        },
        Iq iq => iq.Type switch
        {
            IqType.Get => "get",
            IqType.Set => "set",
            IqType.Result => "result",
            _ => "error",
        },
        _ => null,
    };

    public static bool TryParsePresenceType(string? value, out PresenceType type)
    {
        (var ok, type) = value switch
        {
            null => (true, PresenceType.Available),
            "unavailable" => (true, PresenceType.Unavailable),
            "subscribe" => (true, PresenceType.Subscribe),
            "subscribed" => (true, PresenceType.Subscribed),
            "unsubscribe" => (true, PresenceType.Unsubscribe),
            "unsubscribed" => (true, PresenceType.Unsubscribed),
            "probe" => (true, PresenceType.Probe),
            "error" => (true, PresenceType.Error),
            _ => (false, PresenceType.Available),
        };
        return ok;
    }

    public static bool TryParseIqType(string? value, out IqType type)
    {
        (var ok, type) = value switch
        {
            "get" => (true, IqType.Get),
            "set" => (true, IqType.Set),
            "result" => (true, IqType.Result),
            "error" => (true, IqType.Error),
            _ => (false, IqType.Get),
        };
        return ok;
    }

    public static bool TryParseShow(string? value, out PresenceShow show)
    {
        (var ok, show) = value switch
        {
            "away" => (true, PresenceShow.Away),
            "chat" => (true, PresenceShow.Chat),
            "dnd" => (true, PresenceShow.Dnd),
            "xa" => (true, PresenceShow.Xa),
            _ => (false, PresenceShow.None),
        };
        return ok;
    }

    public static string? ShowWireName(PresenceShow show) => show switch
    {
        PresenceShow.Away => "away",
        PresenceShow.Chat => "chat",
        PresenceShow.Dnd => "dnd",
        PresenceShow.Xa => "xa",
        _ => null,
    };

    private static bool IsDefaultLanguage(XElement child, string? stanzaLanguage)
    {
        var childLanguage = (string?)child.Attribute(XmlLang);
        return childLanguage is null || string.Equals(childLanguage, stanzaLanguage, StringComparison.OrdinalIgnoreCase);
    }

    private static bool TryParseAddress(string? value, string attribute, out Jid? jid, [NotNullWhen(false)] out string? error)
    {
        jid = null;
        error = null;
        if (value is null)
        {
            return true;
        }

        if (Jid.TryParse(value, out jid, out var reason))
        {
            return true;
        }

        error = $"The '{attribute}' address is not a valid JID: {reason}";
        return false;
    }

    private static void AddAttribute(XElement element, string name, string? value)
    {
        if (value is not null)
        {
            element.SetAttributeValue(name, value);
        }
    }

    private static void AddChild(XElement element, string name, string? value)
    {
        if (value is not null)
        {
            element.Add(new XElement(Client + name, value));
        }
    }

    private static void WriteAttribute(XmlWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteAttributeString(name, value);
        }
    }

    private static void WriteChild(XmlWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteElementString(name, Ns.Client, value);
        }
    }

    // Collects payload elements into an exactly sized array: most stanzas have a few, which stay inline here.
    private struct PayloadBuilder
    {
        private InlineElements _inline;
        private List<XElement>? _more;
        private int _count;

        public readonly int Count => _count;

        public void Add(XElement element)
        {
            if (_count < InlineElements.Length)
            {
                _inline[_count] = element;
            }
            else
            {
                _more ??= [];
                _more.Add(element);
            }

            _count++;
        }

        public readonly ImmutableArray<XElement> ToImmutable()
        {
            if (_count == 0)
            {
                return [];
            }

            var elements = new XElement[_count];
            ReadOnlySpan<XElement> inline = _inline;
            inline[..Math.Min(_count, InlineElements.Length)].CopyTo(elements);
            _more?.CopyTo(elements, InlineElements.Length);
            return ImmutableCollectionsMarshal.AsImmutableArray(elements);
        }
    }

    [InlineArray(Length)]
    private struct InlineElements
    {
        public const int Length = 8;

        private XElement _element0;
    }
}
