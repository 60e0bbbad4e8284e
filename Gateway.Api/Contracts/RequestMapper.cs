using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;

namespace Gateway.Api.Contracts;

/// <summary>
/// Turns REST requests into stanzas and session specs, or into validation errors keyed by JSON field name.
/// Pure: no I/O. Everything the library would refuse later with an exception is refused here with a message.
/// </summary>
internal static partial class RequestMapper
{
    public const int MaxPayloads = 32;
    public const int MaxIdLength = 128;
    public const int MaxTextChars = 64 * 1024;
    public const int MaxIqTimeoutSeconds = 120;
    public const int MaxRosterGroups = 64;
    public const int MaxRosterNameChars = 1024;

    public static bool TryCreateSpec(CreateSessionRequest request, bool allowHostOverride, [NotNullWhen(true)] out SessionSpec? spec, out Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(request);
        errors = [];
        spec = null;
        Jid? jid = null;
        if (!Jid.TryParse(request.Jid, out var parsed, out var jidError))
        {
            Add(errors, "jid", $"is not a valid JID: {jidError}");
        }
        else if (parsed.Local is null)
        {
            Add(errors, "jid", "must name an account (local@domain), not a server");
        }
        else
        {
            jid = parsed;
        }

        if (string.IsNullOrEmpty(request.Password))
        {
            Add(errors, "password", "is required");
        }

        var tlsMode = CheckConnection(request.Password, request.Resource, request.Host, request.Port, request.TlsMode ?? "starttls", request.PinnedCertificateSha256, allowHostOverride, errors) ?? TlsMode.StartTlsRequired;
        var pins = request.PinnedCertificateSha256 ?? [];

        if (request.Id is not null && !InputRules.IsValidSessionId(request.Id))
        {
            Add(errors, "id", InputRules.SessionIdRule);
        }

        if (errors.Count > 0 || jid is null)
        {
            return false;
        }

        spec = new SessionSpec
        {
            Id = request.Id,
            Jid = jid.Bare,
            Password = request.Password,
            Resource = request.Resource ?? jid.Resource,
            Host = request.Host,
            Port = request.Port,
            TlsMode = tlsMode,
            PinnedCertificateSha256 = [.. pins],
            SendInitialPresence = request.SendInitialPresence ?? true,
            Carbons = request.Carbons,
            RequestReceipts = request.RequestReceipts,
        };
        return true;
    }

    /// <summary>True when the request names its own host or port, which needs <c>Gateway:Pool:AllowHostOverride</c>.</summary>
    public static bool OverridesHost(CreateSessionRequest request) => request.Host is not null || request.Port is not null;

    /// <summary>True when the change names a host or port, which needs <c>Gateway:Pool:AllowHostOverride</c>.</summary>
    public static bool OverridesHost(UpdateSessionRequest request) => request.Host is not null || request.Port is not null;

    /// <summary>Checks a settings change as <see cref="TryCreateSpec"/> checks a new session's; what it leaves out stays.</summary>
    public static bool TryCreateChange(UpdateSessionRequest request, bool allowHostOverride, [NotNullWhen(true)] out SessionSpecChange? change, out Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(request);
        errors = [];
        change = null;
        if (request.Password is { Length: 0 })
        {
            Add(errors, "password", "must not be empty (leave it out to keep the password)");
        }

        var tlsMode = CheckConnection(request.Password, request.Resource, request.Host, request.Port, request.TlsMode, request.PinnedCertificateSha256, allowHostOverride, errors);
        if (errors.Count > 0)
        {
            return false;
        }

        change = new SessionSpecChange
        {
            Password = request.Password,
            Resource = request.Resource,
            Host = request.Host,
            Port = request.Port,
            TlsMode = tlsMode,
            PinnedCertificateSha256 = request.PinnedCertificateSha256 is { } pins ? [.. pins] : null,
            SendInitialPresence = request.SendInitialPresence,
            Carbons = request.Carbons,
            RequestReceipts = request.RequestReceipts,
        };
        return true;
    }

    /// <summary>
    /// The rules for how a session logs in and connects, shared by a create and a change: each value that is null is not
    /// checked (a create requires its password itself). Returns the TLS mode read, null when none was given or it was invalid.
    /// </summary>
    private static TlsMode? CheckConnection(string? password, string? resource, string? host, int? port, string? tlsModeName, IReadOnlyList<string>? pins, bool allowHostOverride, Dictionary<string, string[]> errors)
    {
        if (!string.IsNullOrEmpty(password) && (password.Length > 1024 || !XmlInput.IsXmlText(password)))
        {
            Add(errors, "password", "must be at most 1024 characters, none of them control characters");
        }

        if (resource is not null && !Jid.TryParse($"x@example.com/{resource}", out _, out var resourceError))
        {
            Add(errors, "resource", $"is not a valid resource: {resourceError}");
        }

        if (port is < 1 or > 65535)
        {
            Add(errors, "port", "must be 1-65535");
        }

        if (host is not null && (host.Length is 0 or > 253 || Uri.CheckHostName(host) == UriHostNameType.Unknown))
        {
            Add(errors, "host", "must be a DNS name or an IP address");
        }

        TlsMode? tlsMode = null;
        if (tlsModeName is not null)
        {
            if (!InputRules.TryParseTlsMode(tlsModeName, out var parsed))
            {
                Add(errors, "tlsMode", InputRules.TlsModeRule);
            }
            else if (parsed == TlsMode.Disabled && !allowHostOverride)
            {
                Add(errors, "tlsMode", "disabled (plaintext) is only allowed where the gateway sets Gateway:Pool:AllowHostOverride (test servers)");
            }
            else
            {
                tlsMode = parsed;
            }
        }

        pins ??= [];
        if (pins.Count > 0 && !allowHostOverride)
        {
            // A pin accepts a certificate whatever its issuer and name: with it, a caller could make the gateway
            // trust whatever server a JID's DNS leads to. Test setups only, like host and plaintext.
            Add(errors, "pinnedCertificateSha256", "is only allowed where the gateway sets Gateway:Pool:AllowHostOverride (test servers); add a trust anchor to Gateway:Pool:TrustedCertificatePaths instead");
        }

        for (var i = 0; i < pins.Count; i++)
        {
            if (!InputRules.IsSha256Thumbprint(pins[i]))
            {
                Add(errors, $"pinnedCertificateSha256[{i}]", "must be a SHA-256 fingerprint: 64 hex digits, optionally in ':'-separated pairs");
            }
        }

        return tlsMode;
    }

    /// <summary>What the request's <c>requestReceipts</c> asks for; absent: what the session does by default.</summary>
    public static RecipientReports Reports(PostMessageRequest request) => request.RequestReceipts switch
    {
        true => RecipientReports.Requested,
        false => RecipientReports.None,
        null => RecipientReports.SessionDefault,
    };

    public static bool TryCreateMessage(PostMessageRequest request, [NotNullWhen(true)] out Message? message, out Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(request);
        errors = [];
        message = null;
        var to = RequiredJid(request.To, "to", errors);
        var type = request.Type switch
        {
            null or "chat" => MessageType.Chat,
            "normal" => MessageType.Normal,
            "groupchat" => MessageType.Groupchat,
            "headline" => MessageType.Headline,
            _ => Invalid(errors, "type", "must be chat, normal, groupchat or headline", MessageType.Chat),
        };
        Text(request.Body, "body", errors);
        Text(request.Subject, "subject", errors);
        Text(request.Thread, "thread", errors, MaxIdLength);
        Lang(request.Lang, errors);
        var payload = Payloads(request.Payloads, errors);
        var features = MessageFeatureMapper.Map(request, payload, errors);
        var body = request.Body ?? features.DefaultBody;
        var id = Id(request.Id, errors);
        if (body is null && request.Subject is null && (request.Payloads is null || request.Payloads.Count == 0) && !features.Any)
        {
            Add(errors, "body", "is required unless subject, payloads, chatState, retracts, reactions, oob or displayed are given: a message needs content");
        }

        if (errors.Count > 0 || to is null)
        {
            return false;
        }

        message = new Message
        {
            Id = id, To = to, Type = type, Body = body, Subject = request.Subject, Thread = request.Thread,
            Language = request.Lang, Payload = payload.AddRange(features.Payload),
        };
        return true;
    }

    public static bool TryCreatePresence(PostPresenceRequest request, [NotNullWhen(true)] out Presence? presence, out Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(request);
        errors = [];
        presence = null;
        var to = OptionalJid(request.To, "to", errors);

        // RFC 6121 §4.3: probes are the server's business; clients never send type error of their own accord.
        var type = request.Type switch
        {
            null or "available" => PresenceType.Available,
            "unavailable" => PresenceType.Unavailable,
            "subscribe" => PresenceType.Subscribe,
            "subscribed" => PresenceType.Subscribed,
            "unsubscribe" => PresenceType.Unsubscribe,
            "unsubscribed" => PresenceType.Unsubscribed,
            _ => Invalid(errors, "type", "must be available, unavailable, subscribe, subscribed, unsubscribe or unsubscribed", PresenceType.Available),
        };

        // RFC 6121 §3: a subscription request or answer is addressed to the contact.
        if (type is PresenceType.Subscribe or PresenceType.Subscribed or PresenceType.Unsubscribe or PresenceType.Unsubscribed && request.To is null)
        {
            Add(errors, "to", $"is required for type {request.Type}: the contact's JID");
        }

        var show = PresenceShow.None;
        if (request.Show is not null)
        {
            if (!StanzaCodec.TryParseShow(request.Show, out show))
            {
                Add(errors, "show", "must be away, chat, dnd or xa");
            }
            else if (type != PresenceType.Available)
            {
                Add(errors, "show", "is only allowed with type available (RFC 6121 §4.7.2.1)");
            }
        }

        if (request.Priority is < sbyte.MinValue or > sbyte.MaxValue)
        {
            Add(errors, "priority", "must be between -128 and 127 (RFC 6121 §4.7.2.3)");
        }

        Text(request.Status, "status", errors);
        Lang(request.Lang, errors);
        var payload = Payloads(request.Payloads, errors);
        var id = Id(request.Id, errors);
        if (errors.Count > 0)
        {
            return false;
        }

        presence = new Presence
        {
            Id = id, To = to, Type = type, Show = show, Status = request.Status, Priority = (sbyte?)request.Priority,
            Language = request.Lang, Payload = payload,
        };
        return true;
    }

    /// <summary>
    /// An IQ request (get/set, <paramref name="isAnswer"/> false) or the answer to a received request (result/error,
    /// <paramref name="isAnswer"/> true).
    /// </summary>
    public static bool TryCreateIq(PostIqRequest request, [NotNullWhen(true)] out Iq? iq, out bool isAnswer, out TimeSpan? timeout, out Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(request);
        errors = [];
        iq = null;
        timeout = null;
        var type = request.Type switch
        {
            "get" => IqType.Get,
            "set" => IqType.Set,
            "result" => IqType.Result,
            "error" => IqType.Error,
            _ => Invalid(errors, "type", "must be get or set (a request), or result or error (an answer)", IqType.Get),
        };
        isAnswer = type is IqType.Result or IqType.Error;
        var to = OptionalJid(request.To, "to", errors);
        XElement? payload = null;
        if (request.Payload is not null)
        {
            if (XmlInput.TryParsePayload(request.Payload, out var element, out var payloadError))
            {
                payload = element;
            }
            else
            {
                Add(errors, "payload", payloadError);
            }
        }

        StanzaError? error = null;
        if (!isAnswer)
        {
            // RFC 6120 §8.2.3: a get or set contains exactly one child element.
            if (request.Payload is null)
            {
                Add(errors, "payload", "is required for get and set: the query element as XML");
            }

            if (request.Error is not null)
            {
                Add(errors, "error", "is only allowed with type error");
            }

            if (request.TimeoutSeconds is { } seconds)
            {
                if (seconds is < 1 or > MaxIqTimeoutSeconds)
                {
                    Add(errors, "timeoutSeconds", $"must be between 1 and {MaxIqTimeoutSeconds}");
                }
                else
                {
                    timeout = TimeSpan.FromSeconds(seconds);
                }
            }
        }
        else
        {
            if (string.IsNullOrEmpty(request.Id))
            {
                Add(errors, "id", "is required for result and error: the id of the request being answered");
            }

            if (request.TimeoutSeconds is not null)
            {
                Add(errors, "timeoutSeconds", "is only allowed with get and set");
            }

            if (type == IqType.Error)
            {
                error = Error(request.Error, errors);
            }
            else if (request.Error is not null)
            {
                Add(errors, "error", "is only allowed with type error");
            }
        }

        var id = Id(request.Id, errors);
        if (errors.Count > 0)
        {
            return false;
        }

        iq = new Iq { Id = id, To = to, Type = type, Payload = payload is null ? [] : [payload], Error = error };
        return true;
    }

    public static bool TryCreateRosterItem(string jidText, PutRosterItemRequest? request, [NotNullWhen(true)] out RosterItem? item, out Dictionary<string, string[]> errors)
    {
        errors = [];
        item = null;
        var jid = RosterJid(jidText, errors);
        if (request?.Name is { } name && (name.Length > MaxRosterNameChars || !XmlInput.IsXmlText(name)))
        {
            Add(errors, "name", $"must be at most {MaxRosterNameChars} characters, none of them control characters");
        }

        var groups = request?.Groups ?? [];
        if (groups.Count > MaxRosterGroups)
        {
            Add(errors, "groups", $"may hold at most {MaxRosterGroups} groups");
        }

        for (var i = 0; i < groups.Count; i++)
        {
            // RFC 6121 §2.1.2.4: a group name is non-empty text.
            if (string.IsNullOrEmpty(groups[i]) || groups[i].Length > MaxRosterNameChars || !XmlInput.IsXmlText(groups[i]))
            {
                Add(errors, $"groups[{i}]", $"must be 1 to {MaxRosterNameChars} characters, none of them control characters");
            }
        }

        if (errors.Count > 0 || jid is null)
        {
            return false;
        }

        item = new RosterItem(jid) { Name = request?.Name, Groups = [.. groups.Distinct(StringComparer.Ordinal)] };
        return true;
    }

    /// <summary>A roster item's address from the URL: a bare JID (RFC 6121 §2.1.2.3).</summary>
    public static Jid? RosterJid(string value, Dictionary<string, string[]> errors)
    {
        if (!Jid.TryParse(value, out var jid, out var error))
        {
            Add(errors, "jid", $"is not a valid JID: {error}");
            return null;
        }

        if (!jid.IsBare)
        {
            Add(errors, "jid", "must be a bare JID (local@domain): roster items have no resource");
            return null;
        }

        return jid;
    }

    private static StanzaError? Error(StanzaErrorDto? dto, Dictionary<string, string[]> errors)
    {
        if (dto is null || string.IsNullOrEmpty(dto.Condition))
        {
            Add(errors, "error.condition", "is required with type error, e.g. item-not-found (RFC 6120 §8.3.3)");
            return null;
        }

        var condition = StanzaErrorWireNames.ParseCondition(dto.Condition);
        if (condition == StanzaErrorCondition.UndefinedCondition && dto.Condition != "undefined-condition")
        {
            Add(errors, "error.condition", "is not an RFC 6120 §8.3.3 condition");
            return null;
        }

        if (dto.Text is not null && (dto.Text.Length > MaxTextChars || !XmlInput.IsXmlText(dto.Text)))
        {
            Add(errors, "error.text", "must be text without control characters");
            return null;
        }

        if (string.IsNullOrEmpty(dto.Type))
        {
            return StanzaError.Of(condition, dto.Text);
        }

        if (!StanzaErrorWireNames.TryParseType(dto.Type, out var type))
        {
            Add(errors, "error.type", "must be cancel, continue, modify, auth or wait");
            return null;
        }

        return new StanzaError(type, condition, dto.Text);
    }

    internal static Jid? RequiredJid(string? value, string field, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrEmpty(value))
        {
            Add(errors, field, "is required");
            return null;
        }

        return OptionalJid(value, field, errors);
    }

    internal static Jid? OptionalJid(string? value, string field, Dictionary<string, string[]> errors)
    {
        if (value is null)
        {
            return null;
        }

        if (Jid.TryParse(value, out var jid, out var error))
        {
            return jid;
        }

        Add(errors, field, $"is not a valid JID: {error}");
        return null;
    }

    private static string Id(string? id, Dictionary<string, string[]> errors)
    {
        if (id is null)
        {
            return StanzaId.New();
        }

        if (id.Length is 0 or > MaxIdLength || !XmlInput.IsXmlText(id))
        {
            Add(errors, "id", $"must be 1 to {MaxIdLength} characters, none of them control characters");
        }

        return id;
    }

    internal static void Text(string? value, string field, Dictionary<string, string[]> errors, int max = MaxTextChars)
    {
        if (value is not null && (value.Length > max || !XmlInput.IsXmlText(value)))
        {
            Add(errors, field, $"must be at most {max} characters, none of them control characters or unpaired surrogates (XML 1.0 §2.2)");
        }
    }

    private static void Lang(string? value, Dictionary<string, string[]> errors)
    {
        // RFC 6120 §8.1.5: xml:lang holds a BCP 47 language tag.
        if (value is not null && !LanguageTag().IsMatch(value))
        {
            Add(errors, "lang", "must be a language tag such as en or pt-BR (BCP 47)");
        }
    }

    private static ImmutableArray<XElement> Payloads(IReadOnlyList<string>? payloads, Dictionary<string, string[]> errors)
    {
        if (payloads is null || payloads.Count == 0)
        {
            return [];
        }

        if (payloads.Count > MaxPayloads)
        {
            Add(errors, "payloads", $"may hold at most {MaxPayloads} elements");
            return [];
        }

        var builder = ImmutableArray.CreateBuilder<XElement>(payloads.Count);
        for (var i = 0; i < payloads.Count; i++)
        {
            if (XmlInput.TryParsePayload(payloads[i], out var element, out var error))
            {
                builder.Add(element);
            }
            else
            {
                Add(errors, $"payloads[{i}]", error);
            }
        }

        return builder.ToImmutable();
    }

    private static T Invalid<T>(Dictionary<string, string[]> errors, string field, string message, T fallback)
    {
        Add(errors, field, message);
        return fallback;
    }

    internal static void Add(Dictionary<string, string[]> errors, string field, string message) =>
        errors[field] = errors.TryGetValue(field, out var existing) ? [.. existing, message] : [message];

    [GeneratedRegex("^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$", RegexOptions.CultureInvariant)]
    private static partial Regex LanguageTag();
}
