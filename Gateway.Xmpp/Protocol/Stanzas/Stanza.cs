using System.Collections.Immutable;
using System.Xml.Linq;

namespace Gateway.Xmpp;

/// <summary>
/// Common parts of the three stanza kinds (RFC 6120 §8.1). Stanzas are immutable: derive a new one with
/// <c>with</c>. Child elements the library does not model are kept in <see cref="Payload"/>, in order, so
/// that nothing received is lost when a stanza is forwarded or serialised again.
/// </summary>
/// <remarks>
/// The <see cref="XElement"/>s in <see cref="Payload"/> are treated as immutable by the library; callers
/// must not mutate them (clone with <c>new XElement(element)</c> first).
/// </remarks>
public abstract record Stanza
{
    /// <summary>The intended recipient (RFC 6120 §8.1.1); null means the account's own server or bare JID.</summary>
    public Jid? To { get; init; }

    /// <summary>The sender as stamped by the server (RFC 6120 §8.1.2); null on outbound stanzas.</summary>
    public Jid? From { get; init; }

    /// <summary>RFC 6120 §8.1.3: used to correlate replies; required on IQs.</summary>
    public string? Id { get; init; }

    /// <summary>RFC 6120 §8.1.5: the default language of human-readable text in the stanza.</summary>
    public string? Language { get; init; }

    /// <summary>The stanza error when the type is <c>error</c> (RFC 6120 §8.3).</summary>
    public StanzaError? Error { get; init; }

    /// <summary>Extension and unknown child elements, in document order.</summary>
    public ImmutableArray<XElement> Payload { get; init; } = [];

    /// <summary>The element name on the wire: <c>message</c>, <c>presence</c> or <c>iq</c>.</summary>
    public abstract string ElementName { get; }

    /// <summary>True when the stanza's type is <c>error</c>.</summary>
    public abstract bool IsError { get; }

    /// <summary>The first payload element with the given qualified name, or null.</summary>
    public XElement? FindPayload(XName name)
    {
        foreach (var element in Payload)
        {
            if (element.Name == name)
            {
                return element;
            }
        }

        return null;
    }
}

/// <summary>Generates stanza ids: unguessable, short, URL-safe.</summary>
public static class StanzaId
{
    /// <summary>A new random id (96 bits, base64url, 16 characters).</summary>
    public static string New()
    {
        Span<byte> bytes = stackalloc byte[12];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
        return Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_');
    }
}
