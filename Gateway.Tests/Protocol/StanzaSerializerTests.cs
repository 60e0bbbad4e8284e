using System.Xml.Linq;
using Gateway.Xmpp;
using Gateway.Xmpp.Protocol;

namespace Gateway.Tests.Protocol;

/// <summary>The bytes one-off serialisation produces are the bytes a connection writes, so a stanza serialised once (for the outbox) can go on the wire as it is.</summary>
public sealed class StanzaSerializerTests
{
    [Fact]
    public void ToBytes_SameAsALongLivedConnectionSerializer_WhateverCameBefore()
    {
        var connection = new StanzaSerializer();
        Stanza[] stanzas =
        [
            new Message { To = Jid.Parse("bob@example.com"), Id = "m1", Type = MessageType.Chat, Body = "hi", Payload = [new XElement(ReceiptElements.OriginId, new XAttribute("id", "m1"))] },
            new Presence { Id = "p1", Payload = [new XElement(XName.Get("x", "vcard-temp:x:update"))] },
            new Iq { Type = IqType.Get, Id = "i1", Payload = [new XElement(XName.Get("ping", Ns.Ping))] },
            new Message { To = Jid.Parse("carol@example.com/r"), Id = "m2", Body = "Grüße 🙂 <&>", Language = "de" },
        ];

        foreach (var stanza in stanzas)
        {
            Assert.Equal(connection.Serialize(stanza).ToArray(), StanzaSerializer.ToBytes(stanza));
        }
    }

    [Fact]
    public void ToBytes_CharacterXmlCannotCarry_RefusedAndTheNextStanzaStillSerialises()
    {
        Assert.Throws<ArgumentException>(() => StanzaSerializer.ToBytes(new Message { Id = "bad", Body = "\u0001" }));

        Assert.Equal("<message id=\"good\" xmlns=\"jabber:client\"><body>ok</body></message>", System.Text.Encoding.UTF8.GetString(StanzaSerializer.ToBytes(new Message { Id = "good", Body = "ok" })));
    }
}
