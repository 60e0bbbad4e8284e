using System.Globalization;
using System.Text;

namespace Gateway.Bench;

/// <summary>
/// The workload: typical one-to-one chat messages as a server delivers them to a client (RFC 6121 §5) with the
/// extensions every modern client adds: a thread, a XEP-0085 chat state and a XEP-0359 origin id.
/// </summary>
internal static class ChatMessages
{
    public const string To = "juliet@capulet.lit/balcony";
    public const string From = "romeo@montague.lit/orchard";
    public const string Language = "en";
    public const string Thread = "ffd7076498744578d10edabfe7f4a866";

    // ASCII, "üöß" (2 bytes each in UTF-8), em dash and CJK (3 bytes), an emoji outside the BMP (4 bytes, a surrogate pair in .NET).
    public const string Body = "See you at 8? Grüße aus Köln — 今晚见 🙂";

    public const string ChatStatesNamespace = "http://jabber.org/protocol/chatstates";

    /// <summary>The server's stream header, fed to the parser once before any stanza (RFC 6120 §4.7).</summary>
    public const string StreamHeader =
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
        + "from='capulet.lit' to='juliet@capulet.lit' id='a9f3c1e7-5b2d' version='1.0' xml:lang='en'>";

    /// <summary>
    /// Stanza <paramref name="index"/> of a batch; ids differ per stanza so no two are byte-identical.
    /// The stanza repeats <c>xmlns='jabber:client'</c> (as our own serialiser writes it) so that the very same bytes
    /// are also a standalone document for the <see cref="System.Xml.Linq.XElement.Parse(string)"/> baseline.
    /// </summary>
    public static string Stanza(int index) =>
        $"<message xmlns='jabber:client' type='chat' id='{Id(index)}' to='{To}' from='{From}' xml:lang='{Language}'>"
        + $"<body>{Body}</body><thread>{Thread}</thread><active xmlns='{ChatStatesNamespace}'/>"
        + $"<origin-id xmlns='urn:xmpp:sid:0' id='{OriginId(index)}'/></message>";

    public static string Id(int index) => string.Create(CultureInfo.InvariantCulture, $"m{index:D6}-7LqR2wXz");

    public static string OriginId(int index) => string.Create(CultureInfo.InvariantCulture, $"{index:D8}-5c1e-4f7b-9a2d-3e8f6b1c0a94");

    /// <summary>Stanzas 0..count-1 back to back, as they arrive on the wire, with the byte range of each.</summary>
    public static (byte[] Bytes, Range[] Ranges) Batch(int count)
    {
        var bytes = new List<byte>(count * 400);
        var ranges = new Range[count];
        for (int i = 0; i < count; i++)
        {
            int start = bytes.Count;
            bytes.AddRange(Encoding.UTF8.GetBytes(Stanza(i)));
            ranges[i] = start..bytes.Count;
        }

        return ([.. bytes], ranges);
    }
}
