using System.Buffers;
using System.Text;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;

namespace Gateway.Tests.Persistence;

/// <summary>The compact form of message status events, written three times for every sent message.</summary>
[Trait("Tier", "Unit")]
public sealed class SessionEventCodecStatusTests
{
    private static readonly DateTimeOffset At = DateTimeOffset.FromUnixTimeMilliseconds(1_764_600_000_123);

    public static TheoryData<MessageStatus> Statuses => new()
    {
        new MessageStatus("idem-3q2+7Yw_k1Hs9dPqAbCdEf", Jid.Parse("bob@example.org"), DeliveryStatus.Queued, At, At),
        new MessageStatus("m1", Jid.Parse("bob@example.org/phone"), DeliveryStatus.Sent, At, At.AddMilliseconds(3)),
        new MessageStatus("m1", null, DeliveryStatus.Acked, At, At.AddSeconds(2)),
        new MessageStatus("m1", Jid.Parse("bob@example.org"), DeliveryStatus.Delivered, At, At.AddDays(3)),
        new MessageStatus("m1", Jid.Parse("bob@example.org"), DeliveryStatus.Displayed, At, At.AddDays(3)),
        new MessageStatus("m1", Jid.Parse("bob@example.org"), DeliveryStatus.Failed, At, At.AddSeconds(1)) { ErrorCondition = "service-unavailable", ErrorText = "x" },
        new MessageStatus("m1", Jid.Parse("bob@example.org"), DeliveryStatus.Failed, At, At) { ErrorCondition = "", ErrorText = "" },

        // Separators, digits and every UTF-8 length inside the strings; an update before the queue time (clock step).
        new MessageStatus(";12;-;~1;", Jid.Parse("a;b-7@ünï.example/;-x"), DeliveryStatus.Failed, At, At.AddMilliseconds(-5)) { ErrorCondition = "not-queued", ErrorText = "Grüße — 今晚见 🙂;-;\n" },
        new MessageStatus("m1", Jid.Parse("bob@example.org"), DeliveryStatus.Failed, At, At) { ErrorText = "text without condition" },
        new MessageStatus("m1", Jid.Parse("bob@example.org"), DeliveryStatus.Sent, DateTimeOffset.UnixEpoch.AddDays(-1), DateTimeOffset.FromUnixTimeMilliseconds(253_402_300_799_999)),
    };

    [Theory]
    [MemberData(nameof(Statuses))]
    public void EncodeThenDecode_EveryField_RoundTrips(MessageStatus status)
    {
        var original = new MessageStatusChanged("t", "s", 7, At, status);
        var utf8 = new ArrayBufferWriter<byte>();
        SessionEventCodec.Encode(original, utf8);

        var fromBytes = SessionEventCodec.Decode("t", "s", 7, At, SessionEventCodec.StatusKind, utf8.WrittenSpan);
        var fromText = SessionEventCodec.Decode("t", "s", 7, At, SessionEventCodec.StatusKind, SessionEventCodec.Encode(original));

        Assert.Equal(original, fromBytes);
        Assert.Equal(original, fromText);
        Assert.Equal(Encoding.UTF8.GetString(utf8.WrittenSpan), SessionEventCodec.Encode(original));
    }

    [Fact]
    public void Encode_TypicalStatus_PositionalAndAboutAThirdOfTheJson()
    {
        var status = new MessageStatusChanged("t", "s", 7, At, new MessageStatus("m1", Jid.Parse("bob@b.c"), DeliveryStatus.Acked, At, At.AddMilliseconds(84)));
        const string Json = """{"messageId":"m1","to":"bob@b.c","status":"Acked","queuedAtUnixMs":1764600000123,"updatedAtUnixMs":1764600000207,"errorCondition":null,"errorText":null}""";

        var encoded = SessionEventCodec.Encode(status);

        Assert.Equal("~1;a;1764600000123;84;2;7;-;-;m1bob@b.c", encoded);
        Assert.True(encoded.Length * 3 < Json.Length, $"{encoded.Length} characters against the JSON's {Json.Length}.");
    }

    [Fact]
    public void Decode_StatusStoredAsJsonBefore_StillReads()
    {
        const string Json = """{"messageId":"m1","to":"bob@b.c","status":"Failed","queuedAtUnixMs":1764600000123,"updatedAtUnixMs":1764600000207,"errorCondition":"item-not-found","errorText":"gone"}""";

        var fromText = SessionEventCodec.Decode("t", "s", 7, At, SessionEventCodec.StatusKind, Json);
        var fromBytes = SessionEventCodec.Decode("t", "s", 7, At, SessionEventCodec.StatusKind, Encoding.UTF8.GetBytes(Json));

        var expected = new MessageStatusChanged("t", "s", 7, At, new MessageStatus("m1", Jid.Parse("bob@b.c"), DeliveryStatus.Failed, At, At.AddMilliseconds(84))
        {
            ErrorCondition = "item-not-found",
            ErrorText = "gone",
        });
        Assert.Equal(expected, fromText);
        Assert.Equal(expected, fromBytes);
    }

    [Theory]
    [InlineData("~1;")]
    [InlineData("~1;a")]
    [InlineData("~1;x;1;0;2;-;-;-;m1")]
    [InlineData("~1;a;1;0;2;-;-;-;m")]
    [InlineData("~1;a;1;0;2;-;-;-;m12")]
    [InlineData("~1;a;1;0;-;-;-;-;")]
    [InlineData("~1;a;one;0;2;-;-;-;m1")]
    [InlineData("~1;a;1;0;2;-;-;-m1")]
    [InlineData("~1;a;1;0;-2;-;-;-;m1")]
    [InlineData("~1;a;1;0;2;9;-;-;m1not a jid")]
    [InlineData("~1;a;9223372036854775807;9223372036854775807;2;-;-;-;m1")]
    [InlineData("~1;a;99999999999999999;0;2;-;-;-;m1")]
    [InlineData("{\"messageId\":")]
    public void Decode_MalformedStatus_FormatException(string data)
    {
        Assert.Throws<FormatException>(() => SessionEventCodec.Decode("t", "s", 1, At, SessionEventCodec.StatusKind, data));
        Assert.Throws<FormatException>(() => SessionEventCodec.Decode("t", "s", 1, At, SessionEventCodec.StatusKind, Encoding.UTF8.GetBytes(data)));
    }

    [Fact]
    public void Decode_InvalidUtf8_FormatException()
    {
        byte[] status = [.. "~1;a;1;0;2;-;-;-;"u8, 0xC3, 0x28];
        byte[] message = [.. "<message xmlns='jabber:client'><body>"u8, 0xFF, .. "</body></message>"u8];

        Assert.Throws<FormatException>(() => SessionEventCodec.Decode("t", "s", 1, At, SessionEventCodec.StatusKind, status));
        Assert.Throws<FormatException>(() => SessionEventCodec.Decode("t", "s", 1, At, SessionEventCodec.MessageKind, message));
        Assert.Throws<FormatException>(() => SessionEventCodec.DecodeStanza(message));
    }

    [Fact]
    public void EncodeStanza_ToBytes_SameXmlAsText_AndDecodesBack()
    {
        var stanza = new Message { Id = "m1", To = Jid.Parse("bob@example.org"), Type = MessageType.Chat, Body = "Grüße <&> 🙂" };
        var utf8 = new ArrayBufferWriter<byte>();

        SessionEventCodec.EncodeStanza(stanza, utf8);

        Assert.Equal(SessionEventCodec.EncodeStanza(stanza), Encoding.UTF8.GetString(utf8.WrittenSpan));
        Assert.Equal("Grüße <&> 🙂", ((Message)SessionEventCodec.DecodeStanza(utf8.WrittenSpan)).Body);
    }
}
