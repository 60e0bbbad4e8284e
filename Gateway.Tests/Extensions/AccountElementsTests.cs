using System.Xml.Linq;
using Gateway.Xmpp;
using Gateway.Xmpp.Avatar;
using Gateway.Xmpp.Blocking;
using Gateway.Xmpp.Capabilities;
using Gateway.Xmpp.HttpUpload;
using Gateway.Xmpp.VCard;

namespace Gateway.Tests.Extensions;

/// <summary>The pure protocol code of the account features: blocking, vCard, avatar, upload slots, disco forms.</summary>
[Trait("Tier", "Unit")]
public sealed class AccountElementsTests
{
    [Fact]
    [Trait("Spec", "XEP-0191 §3.3")]
    public void Blocking_PushFromServer_ParsesBlockAndUnblockAll()
    {
        var block = (Iq)StanzaCodec.Parse(XElement.Parse("<iq xmlns='jabber:client' type='set' id='p1'><block xmlns='urn:xmpp:blocking'><item jid='a@b'/><item jid='not a jid@'/><item jid='spam.example'/></block></iq>"));
        var unblockAll = (Iq)StanzaCodec.Parse(XElement.Parse("<iq xmlns='jabber:client' type='set' id='p2'><unblock xmlns='urn:xmpp:blocking'/></iq>"));
        var other = (Iq)StanzaCodec.Parse(XElement.Parse("<iq xmlns='jabber:client' type='get' id='p3'><block xmlns='urn:xmpp:blocking'/></iq>"));

        var blocked = BlockingCommand.ParsePush(block);
        var unblocked = BlockingCommand.ParsePush(unblockAll);

        Assert.True(blocked!.Blocked);
        Assert.Equal([Jid.Parse("a@b"), Jid.Parse("spam.example")], blocked.Jids);
        Assert.True(unblocked!.UnblockedAll);
        Assert.Null(BlockingCommand.ParsePush(other));
    }

    [Fact]
    [Trait("Spec", "XEP-0191 §3.3")]
    public void Blocking_Request_HasOneItemPerJid()
    {
        var request = BlockingCommand.Request(BlockingCommand.BlockName, [Jid.Parse("a@b"), Jid.Parse("c@d/r")]);

        Assert.Equal(["a@b", "c@d/r"], request.Elements().Select(e => (string?)e.Attribute("jid")));
        Assert.Throws<ArgumentException>(() => BlockingCommand.Request(BlockingCommand.BlockName, [.. Enumerable.Range(0, 257).Select(i => Jid.Parse($"u{i}@b"))]));
    }

    [Fact]
    [Trait("Spec", "XEP-0054 §3")]
    public void VCard_ToElementThenParse_RoundTripsTheFields()
    {
        var card = new VCardInfo
        {
            FullName = "Alice Example", Nickname = "al", GivenName = "Alice", FamilyName = "Example",
            Emails = ["a@example.com", "b@example.com"], Telephones = ["+1 555"], Urls = ["https://example.com/"],
            Note = "<&> hé", Birthday = "1990-01-31", Title = "Bot", Organization = "Example",
        };

        var parsed = VCardTemp.Parse(XElement.Parse(VCardTemp.ToElement(card).ToString()));

        Assert.Equal(card, parsed with { Element = null }, new VCardComparer());
    }

    [Fact]
    public void VCard_Parse_KeepsUnmodelledElements()
    {
        var parsed = VCardTemp.Parse(XElement.Parse("<vCard xmlns='vcard-temp'><FN>X</FN><ADR><HOME/><LOCALITY>Paris</LOCALITY></ADR><NICKNAME></NICKNAME></vCard>"));

        Assert.Equal("X", parsed.FullName);
        Assert.Null(parsed.Nickname);
        Assert.NotNull(parsed.Element!.Element(XName.Get("ADR", "vcard-temp")));
    }

    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R', 0, 0, 0, 64, 0, 0, 0, 32, 8, 6, 0, 0, 0];

    [Fact]
    [Trait("Spec", "XEP-0084 §4.2")]
    public void Avatar_Describe_GivesSha1IdTypeAndSize()
    {
        var info = UserAvatar.Describe(Png);

        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(Png)), info.Id);
        Assert.Equal(("image/png", Png.Length, 64, 32), (info.Type, info.Bytes, info.Width, info.Height));
        Assert.Throws<ArgumentException>(() => UserAvatar.Describe("GIF89a"u8.ToArray()));
        Assert.Throws<ArgumentException>(() => UserAvatar.Describe(new byte[UserAvatar.MaxBytes + 1]));
    }

    [Fact]
    public void Avatar_JpegSize_ReadFromStartOfFrame()
    {
        // SOI, an APP0 segment of 16 bytes, then SOF0: length 17, precision 8, height 48, width 80.
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 16, .. new byte[14], 0xFF, 0xC0, 0, 17, 8, 0, 48, 0, 80, 3, .. new byte[9]];

        Assert.True(ImageInspector.TryInspect(jpeg, out var type, out var width, out var height));
        Assert.Equal(("image/jpeg", 80, 48), (type, width, height));
    }

    [Fact]
    [Trait("Spec", "XEP-0084 §4.2")]
    public void Avatar_MetadataRoundTrip_AndDataCheckedAgainstId()
    {
        var info = UserAvatar.Describe(Png);
        var parsed = UserAvatar.ParseMetadata(UserAvatar.MetadataElement(info));
        var data = new XElement(XName.Get("data", "urn:xmpp:avatar:data"), Convert.ToBase64String(Png));

        Assert.Equal(info, parsed);
        Assert.Null(UserAvatar.ParseMetadata(new XElement(XName.Get("metadata", "urn:xmpp:avatar:metadata"))));
        Assert.Equal(Png, UserAvatar.DecodeData(data, info.Id).ToArray());
        Assert.Throws<XmppProtocolException>(() => UserAvatar.DecodeData(data, new string('0', 40)));
        Assert.Throws<XmppProtocolException>(() => UserAvatar.DecodeData(new XElement("data", "%%%"), info.Id));
    }

    [Fact]
    [Trait("Spec", "XEP-0363 §5")]
    public void UploadSlot_KeepsOnlyAllowedHeaders_StripsNewlines()
    {
        var slot = XElement.Parse("""
            <slot xmlns='urn:xmpp:http:upload:0'>
              <put url='https://upload.example.com/abc/file.txt'>
                <header name='Authorization'>Basic Zm9v&#10;X-Evil: 1</header>
                <header name='cookie'>a=b</header>
                <header name='Host'>internal.example</header>
                <header name='Expires'>Tue, 1 Jan 2030 00:00:00 GMT</header>
              </put>
              <get url='https://download.example.com/abc/file.txt'/>
            </slot>
            """);

        var parsed = HttpFileUpload.ParseSlot(slot, allowHttp: false);

        Assert.Equal("https://upload.example.com/abc/file.txt", parsed.PutUrl.AbsoluteUri);
        Assert.Equal("https://download.example.com/abc/file.txt", parsed.GetUrl.AbsoluteUri);
        Assert.Equal(
            [new("Authorization", "Basic Zm9vX-Evil: 1"), new("Cookie", "a=b"), new("Expires", "Tue, 1 Jan 2030 00:00:00 GMT")],
            parsed.Headers);
    }

    [Theory]
    [Trait("Spec", "XEP-0363 §4")]
    [InlineData("<slot xmlns='urn:xmpp:http:upload:0'><put url='http://upload.example.com/f'/><get url='https://d.example.com/f'/></slot>")]
    [InlineData("<slot xmlns='urn:xmpp:http:upload:0'><put url='https://upload.example.com/f'/><get url='file:///etc/passwd'/></slot>")]
    [InlineData("<slot xmlns='urn:xmpp:http:upload:0'><put url='/relative'/><get url='https://d.example.com/f'/></slot>")]
    [InlineData("<slot xmlns='urn:xmpp:http:upload:0'><get url='https://d.example.com/f'/></slot>")]
    [InlineData("<slot xmlns='urn:xmpp:http:upload:0'><put url='https://user:pw@upload.example.com/f'/><get url='https://d.example.com/f'/></slot>")]
    [InlineData("<other xmlns='urn:xmpp:http:upload:0'/>")]
    public void UploadSlot_UnusableUrl_Refused(string xml)
    {
        Assert.Throws<XmppProtocolException>(() => HttpFileUpload.ParseSlot(XElement.Parse(xml), allowHttp: false));
    }

    [Fact]
    public void UploadSlot_HttpAllowedForTestSetups()
    {
        var slot = HttpFileUpload.ParseSlot(XElement.Parse("<slot xmlns='urn:xmpp:http:upload:0'><put url='http://upload.localhost:5280/f'/><get url='http://upload.localhost:5280/f'/></slot>"), allowHttp: true);

        Assert.Equal("http", slot.PutUrl.Scheme);
    }

    [Fact]
    [Trait("Spec", "XEP-0066 §3")]
    public void OobMessage_BodyIsTheUrl()
    {
        var message = HttpFileUpload.OobMessage(Jid.Parse("bob@example.com"), MessageType.Chat, new Uri("https://d.example.com/a b.txt"), "report");
        var x = Assert.Single(message.Payload);

        Assert.Equal("https://d.example.com/a%20b.txt", message.Body);
        Assert.Equal(message.Body, x.Element(XName.Get("url", "jabber:x:oob"))!.Value);
        Assert.Equal("report", x.Element(XName.Get("desc", "jabber:x:oob"))!.Value);
    }

    [Fact]
    [Trait("Spec", "XEP-0128")]
    public void Disco_UploadServiceFoundWithItsLimit()
    {
        var server = ServiceDiscovery.ParseInfo(Jid.Parse("example.com"), XElement.Parse("<query xmlns='http://jabber.org/protocol/disco#info'><identity category='server' type='im'/><feature var='urn:xmpp:blocking'/></query>"));
        var upload = ServiceDiscovery.ParseInfo(Jid.Parse("upload.example.com"), XElement.Parse("""
            <query xmlns='http://jabber.org/protocol/disco#info'>
              <identity category='store' type='file' name='HTTP File Upload'/>
              <feature var='urn:xmpp:http:upload:0'/>
              <x xmlns='jabber:x:data' type='result'>
                <field var='FORM_TYPE' type='hidden'><value>urn:xmpp:http:upload:0</value></field>
                <field var='max-file-size'><value>1048576</value></field>
              </x>
            </query>
            """));
        var items = ServiceDiscovery.ParseItems(XElement.Parse("<query xmlns='http://jabber.org/protocol/disco#items'><item jid='upload.example.com'/><item jid='@bad'/></query>"));
        var capabilities = new ServerCapabilities(server, [new ServerService(items[0], upload)]);

        Assert.Single(items);
        Assert.Equal(new UploadService(Jid.Parse("upload.example.com"), 1048576), HttpFileUpload.FindService(capabilities));
        Assert.Null(HttpFileUpload.FindService(capabilities with { Services = [] }));
        Assert.Equal("urn:xmpp:http:upload:0", upload.Forms[0].FormType);
        Assert.DoesNotContain(upload.Forms[0].Fields, f => f.Var == "FORM_TYPE");
    }

    private sealed class VCardComparer : IEqualityComparer<VCardInfo>
    {
        public bool Equals(VCardInfo? x, VCardInfo? y) =>
            x is not null && y is not null
            && x with { Emails = [], Telephones = [], Urls = [] } == y with { Emails = [], Telephones = [], Urls = [] }
            && x.Emails.SequenceEqual(y.Emails) && x.Telephones.SequenceEqual(y.Telephones) && x.Urls.SequenceEqual(y.Urls);

        public int GetHashCode(VCardInfo obj) => 0;
    }
}
