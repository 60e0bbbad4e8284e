using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Xml.Linq;
using Gateway.Xmpp;
using Gateway.Xmpp.Protocol;

namespace Gateway.Tests.Protocol.Stanzas;

/// <summary>
/// <see cref="StanzaCodec.TryParse"/> as it was before it was made allocation-free (commit a58875e): the reference
/// the faster one is compared with. Kept verbatim apart from qualifying the helpers it shares with StanzaCodec.
/// </summary>
internal static class LegacyStanzaCodec
{
    private static readonly XNamespace Client = Ns.Client;
    private static readonly XName XmlLang = XNamespace.Xml + "lang";
    private static readonly XName ErrorName = Client + "error";

    public static bool TryParse(XElement element, [NotNullWhen(true)] out Stanza? stanza, [NotNullWhen(false)] out string? error)
    {
        stanza = null;
        if (!StanzaCodec.IsStanza(element))
        {
            error = $"'{element.Name.LocalName}' in namespace '{element.Name.NamespaceName}' is not a message, presence or iq stanza in '{Ns.Client}'.";
            return false;
        }

        if (!TryParseAddress(element, "to", out var to, out error) || !TryParseAddress(element, "from", out var from, out error))
        {
            return false;
        }

        var id = (string?)element.Attribute("id");
        var lang = (string?)element.Attribute(XmlLang);
        var typeValue = (string?)element.Attribute("type");
        StanzaError? stanzaError = null;
        var payload = ImmutableArray.CreateBuilder<XElement>();

        switch (element.Name.LocalName)
        {
            case "message":
            {
                string? body = null, subject = null, thread = null, parentThread = null;
                foreach (var child in element.Elements())
                {
                    if (child.Name == Client + "body" && body is null && IsDefaultLanguage(child, lang))
                    {
                        body = child.Value;
                    }
                    else if (child.Name == Client + "subject" && subject is null && IsDefaultLanguage(child, lang))
                    {
                        subject = child.Value;
                    }
                    else if (child.Name == Client + "thread" && thread is null)
                    {
                        thread = child.Value;
                        parentThread = (string?)child.Attribute("parent");
                    }
                    else if (child.Name == ErrorName && stanzaError is null)
                    {
                        stanzaError = StanzaCodec.ParseError(child);
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
                    Thread = thread, ParentThread = parentThread, Error = stanzaError, Payload = payload.DrainToImmutable(),
                };
                return true;
            }

            case "presence":
            {
                if (!StanzaCodec.TryParsePresenceType(typeValue, out var type))
                {
                    error = $"Presence type '{typeValue}' is not defined by RFC 6121 §4.7.1.";
                    return false;
                }

                var show = PresenceShow.None;
                string? status = null;
                sbyte? priority = null;
                foreach (var child in element.Elements())
                {
                    if (child.Name == Client + "show" && show == PresenceShow.None && StanzaCodec.TryParseShow(child.Value, out var parsedShow))
                    {
                        show = parsedShow;
                    }
                    else if (child.Name == Client + "status" && status is null && IsDefaultLanguage(child, lang))
                    {
                        status = child.Value;
                    }
                    else if (child.Name == Client + "priority" && priority is null
                        && sbyte.TryParse(child.Value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsedPriority))
                    {
                        priority = parsedPriority;
                    }
                    else if (child.Name == ErrorName && stanzaError is null)
                    {
                        stanzaError = StanzaCodec.ParseError(child);
                    }
                    else
                    {
                        payload.Add(child);
                    }
                }

                stanza = new Presence
                {
                    To = to, From = from, Id = id, Language = lang, Type = type, Show = show, Status = status,
                    Priority = priority, Error = stanzaError, Payload = payload.DrainToImmutable(),
                };
                return true;
            }

            default:
            {
                if (!StanzaCodec.TryParseIqType(typeValue, out var type))
                {
                    error = $"IQ type '{typeValue}' is not one of get, set, result, error (RFC 6120 §8.2.3).";
                    return false;
                }

                if (string.IsNullOrEmpty(id))
                {
                    error = "An IQ stanza must carry an 'id' attribute (RFC 6120 §8.2.3).";
                    return false;
                }

                foreach (var child in element.Elements())
                {
                    if (child.Name == ErrorName && stanzaError is null && type == IqType.Error)
                    {
                        stanzaError = StanzaCodec.ParseError(child);
                    }
                    else
                    {
                        payload.Add(child);
                    }
                }

                if (type is IqType.Get or IqType.Set && payload.Count != 1)
                {
                    error = $"An IQ of type '{typeValue}' must contain exactly one child element (RFC 6120 §8.2.3), not {payload.Count}.";
                    return false;
                }

                stanza = new Iq
                {
                    To = to, From = from, Id = id, Language = lang, Type = type, Error = stanzaError,
                    Payload = payload.DrainToImmutable(),
                };
                return true;
            }
        }
    }

    private static bool IsDefaultLanguage(XElement child, string? stanzaLanguage)
    {
        var childLanguage = (string?)child.Attribute(XmlLang);
        return childLanguage is null || string.Equals(childLanguage, stanzaLanguage, StringComparison.OrdinalIgnoreCase);
    }

    private static bool TryParseAddress(XElement element, string attribute, out Jid? jid, [NotNullWhen(false)] out string? error)
    {
        jid = null;
        error = null;
        var value = (string?)element.Attribute(attribute);
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
}
