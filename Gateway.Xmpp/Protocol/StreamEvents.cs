using System.Xml.Linq;

namespace Gateway.Xmpp.Protocol;

/// <summary>The attributes of a received <c>&lt;stream:stream&gt;</c> open tag (RFC 6120 §4.7).</summary>
/// <param name="From">RFC 6120 §4.7.1: the sending entity, if given.</param>
/// <param name="To">RFC 6120 §4.7.2: the intended receiving entity, if given.</param>
/// <param name="Id">RFC 6120 §4.7.3: the stream id; only the receiving entity sets it.</param>
/// <param name="Version">RFC 6120 §4.7.5: "1.0" for RFC 6120 streams; absent means pre-XMPP 1.0.</param>
/// <param name="Lang">RFC 6120 §4.7.4: the default <c>xml:lang</c> of the stream.</param>
/// <param name="ContentNamespace">RFC 6120 §4.8.2: the default namespace declared on the header
/// (<c>jabber:client</c> for client streams); empty when the header declares none.</param>
public sealed record StreamHeader(string? From, string? To, string? Id, string? Version, string? Lang, string ContentNamespace);

/// <summary>One complete thing read from an XML stream by <see cref="XmppStreamParser"/>.</summary>
internal abstract record StreamEvent;

/// <summary>The stream open tag arrived; a new stream (RFC 6120 §4.2) has begun.</summary>
internal sealed record StreamHeaderEvent(StreamHeader Header) : StreamEvent;

/// <summary>A complete top-level child of the stream root: a stanza, stream features, a stream error, or a
/// SASL/TLS/stream-management element. The element is a fresh tree owned by the receiver.</summary>
internal sealed record StreamElementEvent(XElement Element) : StreamEvent;

/// <summary>The closing <c>&lt;/stream:stream&gt;</c> tag arrived (RFC 6120 §4.4).</summary>
internal sealed record StreamEndEvent : StreamEvent
{
    public static StreamEndEvent Instance { get; } = new();
}
