using Gateway.Api.Contracts;
using Gateway.Xmpp.Protocol;

namespace Gateway.Tests.Api.Contracts;

[Trait("Tier", "Unit")]
public sealed class XmlInputTests
{
    [Theory]
    [InlineData("<active xmlns='http://jabber.org/protocol/chatstates'/>")]
    [InlineData("<x:order xmlns:x='urn:example:shop' id='42'><x:item>Tea &amp; biscuits</x:item></x:order>")]
    [InlineData("<?xml version='1.0'?><request xmlns='urn:xmpp:receipts'/>")]
    [InlineData("  <request xmlns='urn:xmpp:receipts'/>\n")]
    [InlineData("<forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' to='a@b'><body>hi</body></message></forwarded>")]
    public void TryParsePayload_NamespacedElement_Succeeds(string xml)
    {
        Assert.True(XmlInput.TryParsePayload(xml, out var element, out var error), error);
        Assert.NotEqual("", element.Name.NamespaceName);
    }

    [Theory]
    [Trait("Spec", "RFC 6120 §11.1")]
    [InlineData("", "one XML element")]
    [InlineData("   ", "one XML element")]
    [InlineData("<a xmlns='u'>", "not well-formed")]
    [InlineData("<a xmlns='u'/><b xmlns='u'/>", "not well-formed")]
    [InlineData("text", "not well-formed")]
    [InlineData("<a xmlns='u'>&unknown;</a>", "not well-formed")]
    [InlineData("<a xmlns='u'>&#0;</a>", "not well-formed")]
    [InlineData("<!DOCTYPE a [<!ENTITY e 'x'>]><a xmlns='u'>&e;</a>", "DTD")]
    [InlineData("<!DOCTYPE a SYSTEM 'file:///etc/passwd'><a xmlns='u'/>", "DTD")]
    [InlineData("<!DOCTYPE lolz [<!ENTITY lol 'lol'><!ENTITY lol2 '&lol;&lol;&lol;'>]><lolz xmlns='u'>&lol2;</lolz>", "DTD")]
    [InlineData("<a xmlns='u'><!-- hidden --></a>", "comments")]
    [InlineData("<a xmlns='u'><?php evil(); ?></a>", "processing instructions")]
    [InlineData("<active/>", "namespace")]
    [InlineData("<body xmlns='jabber:client'>sneaky</body>", "jabber:client")]
    [InlineData("<message xmlns='jabber:client'/>", "jabber:client")]
    [InlineData("<stream:stream xmlns:stream='http://etherx.jabber.org/streams'/>", "stream-level")]
    [InlineData("<enable xmlns='urn:xmpp:sm:3'/>", "stream-level")]
    [InlineData("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'/>", "stream-level")]
    [InlineData("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", "stream-level")]
    [InlineData("<stream:features xmlns:stream='http://etherx.jabber.org/streams'/>", "stream-level")]
    [InlineData("<stream:features/>", "not well-formed")]
    public void TryParsePayload_Refused_SaysWhy(string xml, string reason)
    {
        Assert.False(XmlInput.TryParsePayload(xml, out _, out var error));
        Assert.Contains(reason, error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void TryParsePayload_TooDeep_Refused()
    {
        var xml = string.Concat(Enumerable.Repeat("<a xmlns='u'>", 40)) + string.Concat(Enumerable.Repeat("</a>", 40));

        Assert.False(XmlInput.TryParsePayload(xml, out _, out var error));
        Assert.Contains("deeper", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParsePayload_TooLong_Refused()
    {
        var xml = "<a xmlns='u'>" + new string('x', XmlInput.MaxPayloadChars) + "</a>";

        Assert.False(XmlInput.TryParsePayload(xml, out _, out var error));
        Assert.Contains("longer", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<message to='bob@example.com'><body>hi</body></message>", "message")]
    [InlineData("<message xmlns='jabber:client' to='bob@example.com'><body>hi</body></message>", "message")]
    [InlineData("<presence/>", "presence")]
    [InlineData("<iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>", "iq")]
    [InlineData("<c:message xmlns:c='jabber:client' to='bob@example.com'><c:body>hi</c:body></c:message>", "message")]
    public void TryParseStanza_UnqualifiedStanza_IsReadAsJabberClient(string xml, string name)
    {
        Assert.True(XmlInput.TryParseStanza(xml, out var element, out var error), error);
        Assert.Equal(name, element.Name.LocalName);
        Assert.Equal(Ns.Client, element.Name.NamespaceName);
        Assert.All(element.Elements().Where(e => e.Name.LocalName == "body"), b => Assert.Equal(Ns.Client, b.Name.NamespaceName));
    }

    [Theory]
    [InlineData("<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='example.com'></stream:stream>", "stream-level")]
    [InlineData("<stream xmlns='http://etherx.jabber.org/streams'/>", "stream-level")]
    [InlineData("<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='example.com'>", "not well-formed")]
    [InlineData("<r xmlns='urn:xmpp:sm:3'/>", "stream-level")]
    [InlineData("<message xmlns='jabber:server'/>", "not a stanza")]
    [InlineData("<foo/>", "not a stanza")]
    [InlineData("<!DOCTYPE message [<!ENTITY x 'y'>]><message>&x;</message>", "DTD")]
    [InlineData("<message><!-- c --></message>", "comments")]
    [InlineData("<message><body>unclosed</message>", "not well-formed")]
    public void TryParseStanza_Refused_SaysWhy(string xml, string reason)
    {
        Assert.False(XmlInput.TryParseStanza(xml, out _, out var error));
        Assert.Contains(reason, error, StringComparison.OrdinalIgnoreCase);
    }

    // Built in code: xunit's serialization of test data would replace a lone surrogate before the test sees it.
    public static TheoryData<string, bool> Texts => new()
    {
        { "plain text", true },
        { "emoji 😀 and 日本", true },
        { "tab\tnewline\n", true },
        { "nul \0", false },
        { "bell \u0007", false },
        { "lone " + (char)0xD800 + " high surrogate", false },
        { "lone " + (char)0xDC00 + " low surrogate", false },
        { "reversed " + (char)0xDC00 + (char)0xD800, false },
        { "\uffff", false },
    };

    [Theory]
    [MemberData(nameof(Texts), DisableDiscoveryEnumeration = true)]
    public void IsXmlText_FollowsXmlCharRange(string text, bool valid) => Assert.Equal(valid, XmlInput.IsXmlText(text));
}
