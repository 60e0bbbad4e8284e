using System.Diagnostics.CodeAnalysis;
using System.Xml;
using System.Xml.Linq;
using Gateway.Xmpp;
using Gateway.Xmpp.Protocol;

namespace Gateway.Api.Contracts;

/// <summary>
/// Parses XML that callers hand the gateway (payload elements, raw stanzas) under RFC 6120 §11.1's restricted XML:
/// no DTD, no entity declarations, no comments, no processing instructions; bounded in size and depth; nothing is
/// ever resolved or fetched. Pure: no I/O. Errors say what is wrong and never echo more than the parser's position.
/// </summary>
internal static class XmlInput
{
    /// <summary>Largest payload element, in characters.</summary>
    public const int MaxPayloadChars = 32 * 1024;

    /// <summary>Largest raw stanza, in characters (Prosody's default c2s stanza limit is 256 KiB).</summary>
    public const int MaxStanzaChars = 256 * 1024;

    /// <summary>Deepest element nesting accepted.</summary>
    public const int MaxDepth = 32;

    /// <summary>Namespaces of stream-level elements (stream header, features, TLS, SASL, bind, XEP-0198): never content.</summary>
    private static readonly HashSet<string> StreamLevelNamespaces = new(StringComparer.Ordinal)
    {
        Ns.Streams, Ns.StreamErrors, Ns.Tls, Ns.Sasl, Ns.Bind, Ns.Session, Ns.StreamManagement,
    };

    /// <summary>
    /// One extension element for a stanza's payload: exactly one well-formed element, qualified by its own namespace
    /// (RFC 6120 §8.4), neither of <c>jabber:client</c> (body, subject, stanzas: use the JSON fields) nor stream-level.
    /// </summary>
    public static bool TryParsePayload(string? xml, [NotNullWhen(true)] out XElement? element, [NotNullWhen(false)] out string? error)
    {
        element = null;
        if (!TryLoad(xml, MaxPayloadChars, defaultClientNamespace: false, out var root, out error))
        {
            return false;
        }

        var ns = root.Name.NamespaceName;
        if (ns.Length == 0)
        {
            error = "must declare its namespace (RFC 6120 §8.4), e.g. <active xmlns='http://jabber.org/protocol/chatstates'/>";
            return false;
        }

        if (ns == Ns.Client)
        {
            error = $"is an element of '{Ns.Client}' ('{root.Name.LocalName}'), which is not an extension: use the JSON fields (body, subject, thread) instead";
            return false;
        }

        if (StreamLevelNamespaces.Contains(ns))
        {
            error = $"is a stream-level element ('{root.Name.LocalName}' in '{ns}'), which cannot travel inside a stanza";
            return false;
        }

        element = root;
        return true;
    }

    /// <summary>
    /// One raw stanza: <c>message</c>, <c>presence</c> or <c>iq</c> in <c>jabber:client</c>. An element without a
    /// namespace declaration is read as <c>jabber:client</c>, as it would be on a client stream.
    /// </summary>
    public static bool TryParseStanza(string? xml, [NotNullWhen(true)] out XElement? element, [NotNullWhen(false)] out string? error)
    {
        element = null;
        if (!TryLoad(xml, MaxStanzaChars, defaultClientNamespace: true, out var root, out error))
        {
            return false;
        }

        var ns = root.Name.NamespaceName;
        if (StreamLevelNamespaces.Contains(ns) || root.Name.LocalName == "stream")
        {
            error = $"'{root.Name.LocalName}' in '{ns}' is a stream-level element; only message, presence and iq stanzas can be sent";
            return false;
        }

        if (!StanzaCodec.IsStanza(root))
        {
            error = $"'{root.Name.LocalName}' in namespace '{ns}' is not a stanza; send message, presence or iq in '{Ns.Client}'";
            return false;
        }

        element = root;
        return true;
    }

    /// <summary>True when every character can appear in XML 1.0 (§2.2): no control characters, no unpaired surrogates.</summary>
    public static bool IsXmlText(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (!XmlConvert.IsXmlChar(c))
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryLoad(string? xml, int maxChars, bool defaultClientNamespace, [NotNullWhen(true)] out XElement? root, [NotNullWhen(false)] out string? error)
    {
        root = null;
        if (string.IsNullOrWhiteSpace(xml))
        {
            error = "must be one XML element";
            return false;
        }

        if (xml.Length > maxChars)
        {
            error = $"is longer than {maxChars} characters";
            return false;
        }

        try
        {
            // Pass 1 refuses what XDocument would keep (comments, PIs) and nesting beyond MaxDepth; pass 2 builds the tree.
            using (var reader = CreateReader(xml, maxChars, defaultClientNamespace))
            {
                while (reader.Read())
                {
                    switch (reader.NodeType)
                    {
                        case XmlNodeType.Comment:
                            error = "must not contain comments (RFC 6120 §11.1)";
                            return false;
                        case XmlNodeType.ProcessingInstruction:
                            error = "must not contain processing instructions (RFC 6120 §11.1)";
                            return false;
                        case XmlNodeType.DocumentType or XmlNodeType.EntityReference or XmlNodeType.Entity:
                            error = "must not contain a DTD or entity declarations (RFC 6120 §11.1)";
                            return false;
                        case XmlNodeType.Element when reader.Depth >= MaxDepth:
                            error = $"nests elements deeper than {MaxDepth} levels";
                            return false;
                    }
                }
            }

            using (var reader = CreateReader(xml, maxChars, defaultClientNamespace))
            {
                root = XDocument.Load(reader).Root;
            }
        }
        catch (XmlException ex) when (ex.Message.Contains("DTD", StringComparison.Ordinal))
        {
            error = "must not contain a DTD (<!DOCTYPE …>) (RFC 6120 §11.1)";
            return false;
        }
        catch (XmlException ex)
        {
            // XmlException messages name the line, the position and the offending token only.
            error = $"is not well-formed XML: {ex.Message}";
            return false;
        }

        if (root is null)
        {
            error = "must be one XML element";
            return false;
        }

        error = null;
        return true;
    }

    private static XmlReader CreateReader(string xml, int maxChars, bool defaultClientNamespace)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = maxChars,
            MaxCharactersFromEntities = 0,
            IgnoreComments = false,
            IgnoreProcessingInstructions = false,
            CheckCharacters = true,
            ConformanceLevel = ConformanceLevel.Document,
        };
        XmlParserContext? context = null;
        if (defaultClientNamespace)
        {
            var names = new NameTable();
            var namespaces = new XmlNamespaceManager(names);
            namespaces.AddNamespace(string.Empty, Ns.Client);
            context = new XmlParserContext(names, namespaces, xmlLang: null, XmlSpace.None);
        }

        return XmlReader.Create(new StringReader(xml), settings, context);
    }
}
