namespace Gateway.Xmpp.Protocol;

/// <summary>XML namespace URIs used on the wire. Every URI lives here and nowhere else.</summary>
public static class Ns
{
    /// <summary>RFC 6120 §4.8.2: the stream namespace.</summary>
    public const string Streams = "http://etherx.jabber.org/streams";
    /// <summary>RFC 6120 §4.8.1: the content namespace for client-to-server streams.</summary>
    public const string Client = "jabber:client";
    public const string Tls = "urn:ietf:params:xml:ns:xmpp-tls";
    public const string Sasl = "urn:ietf:params:xml:ns:xmpp-sasl";
    /// <summary>XEP-0440: the channel binding types a server supports.</summary>
    public const string SaslChannelBinding = "urn:xmpp:sasl-cb:0";
    public const string Bind = "urn:ietf:params:xml:ns:xmpp-bind";
    public const string Session = "urn:ietf:params:xml:ns:xmpp-session";
    /// <summary>RFC 6120 §4.9.3: stream error conditions.</summary>
    public const string StreamErrors = "urn:ietf:params:xml:ns:xmpp-streams";
    /// <summary>Application-specific error conditions (Prosody's &lt;stanza-too-big/&gt; in a policy-violation).</summary>
    public const string Errors = "urn:xmpp:errors";
    /// <summary>RFC 6120 §8.3.3: stanza error conditions.</summary>
    public const string Stanzas = "urn:ietf:params:xml:ns:xmpp-stanzas";
    public const string Xml = "http://www.w3.org/XML/1998/namespace";
    public const string Roster = "jabber:iq:roster";
    /// <summary>RFC 6121 §2.6.1: the stream feature of a server that supports roster versioning.</summary>
    public const string RosterVersioning = "urn:xmpp:features:rosterver";
    public const string Version = "jabber:iq:version";
    public const string Ping = "urn:xmpp:ping";
    public const string DiscoInfo = "http://jabber.org/protocol/disco#info";
    public const string DiscoItems = "http://jabber.org/protocol/disco#items";
    public const string StreamManagement = "urn:xmpp:sm:3";
    public const string Delay = "urn:xmpp:delay";
    public const string StanzaId = "urn:xmpp:sid:0";
    public const string Receipts = "urn:xmpp:receipts";
    public const string ChatMarkers = "urn:xmpp:chat-markers:0";
    /// <summary>XEP-0085: chat state notifications.</summary>
    public const string ChatStates = "http://jabber.org/protocol/chatstates";
    /// <summary>XEP-0308: last message correction.</summary>
    public const string MessageCorrect = "urn:xmpp:message-correct:0";
    /// <summary>XEP-0424: message retraction.</summary>
    public const string MessageRetract = "urn:xmpp:message-retract:1";
    /// <summary>XEP-0428: fallback indication.</summary>
    public const string Fallback = "urn:xmpp:fallback:0";
    /// <summary>XEP-0461: message replies.</summary>
    public const string Reply = "urn:xmpp:reply:0";
    /// <summary>XEP-0444: message reactions.</summary>
    public const string Reactions = "urn:xmpp:reactions:0";
    /// <summary>XEP-0066: out-of-band data in messages.</summary>
    public const string Oob = "jabber:x:oob";
    /// <summary>XEP-0334: message processing hints.</summary>
    public const string Hints = "urn:xmpp:hints";
    /// <summary>XEP-0280: message carbons.</summary>
    public const string Carbons = "urn:xmpp:carbons:2";
    public const string Mam = "urn:xmpp:mam:2";
    public const string Forward = "urn:xmpp:forward:0";
    public const string Muc = "http://jabber.org/protocol/muc";
    public const string MucUser = "http://jabber.org/protocol/muc#user";
    /// <summary>XEP-0045 §9, §10: moderator, admin and owner requests.</summary>
    public const string MucAdmin = "http://jabber.org/protocol/muc#admin";
    public const string MucOwner = "http://jabber.org/protocol/muc#owner";
    /// <summary>XEP-0249: direct MUC invitations.</summary>
    public const string Conference = "jabber:x:conference";
    public const string Caps = "http://jabber.org/protocol/caps";
    /// <summary>XEP-0004: data forms (and XEP-0128 extended disco#info).</summary>
    public const string DataForms = "jabber:x:data";
    /// <summary>XEP-0191: blocking command.</summary>
    public const string Blocking = "urn:xmpp:blocking";
    /// <summary>XEP-0054: vcard-temp.</summary>
    public const string VCard = "vcard-temp";
    /// <summary>XEP-0060: publish-subscribe (as used by XEP-0163 PEP).</summary>
    public const string PubSub = "http://jabber.org/protocol/pubsub";
    /// <summary>XEP-0084 §2: the avatar data node and payload namespace.</summary>
    public const string AvatarData = "urn:xmpp:avatar:data";
    /// <summary>XEP-0084 §2: the avatar metadata node and payload namespace.</summary>
    public const string AvatarMetadata = "urn:xmpp:avatar:metadata";
    /// <summary>XEP-0363: HTTP file upload.</summary>
    public const string HttpUpload = "urn:xmpp:http:upload:0";
}
