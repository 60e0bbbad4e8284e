using Gateway.Api.Contracts;
using Gateway.Xmpp;

namespace Gateway.Tests.Api.Contracts;

[Trait("Tier", "Unit")]
public sealed class RequestMapperTests
{
    [Fact]
    public void TryCreateMessage_Full_MapsEveryField()
    {
        var request = new PostMessageRequest
        {
            To = "bob@example.com/phone", Type = "headline", Body = "b", Subject = "s", Thread = "t", Lang = "pt-BR", Id = "m1",
            Payloads = ["<active xmlns='http://jabber.org/protocol/chatstates'/>"],
        };

        Assert.True(RequestMapper.TryCreateMessage(request, out var message, out var errors), string.Join(";", errors.Keys));

        Assert.Equal(Jid.Parse("bob@example.com/phone"), message.To);
        Assert.Equal(MessageType.Headline, message.Type);
        Assert.Equal(("b", "s", "t", "pt-BR", "m1"), (message.Body, message.Subject, message.Thread, message.Language, message.Id));
        Assert.Equal("active", Assert.Single(message.Payload).Name.LocalName);
    }

    [Fact]
    public void TryCreateMessage_Defaults_ChatWithGeneratedId()
    {
        Assert.True(RequestMapper.TryCreateMessage(new PostMessageRequest { To = "bob@example.com", Body = "x" }, out var message, out _));

        Assert.Equal(MessageType.Chat, message.Type);
        Assert.False(string.IsNullOrEmpty(message.Id));
    }

    [Theory]
    [InlineData("to", "{ \"to\": \"bad@@jid\", \"body\": \"x\" }")]
    [InlineData("to", "{ \"to\": \"\", \"body\": \"x\" }")]
    [InlineData("body", "{ \"to\": \"bob@example.com\" }")]
    [InlineData("type", "{ \"to\": \"bob@example.com\", \"body\": \"x\", \"type\": \"error\" }")]
    [InlineData("body", "{ \"to\": \"bob@example.com\", \"body\": \"nul \\u0000\" }")]
    [InlineData("lang", "{ \"to\": \"bob@example.com\", \"body\": \"x\", \"lang\": \"en us\" }")]
    [InlineData("payloads[0]", "{ \"to\": \"bob@example.com\", \"payloads\": [\"<a/>\"] }")]
    [InlineData("payloads[1]", "{ \"to\": \"bob@example.com\", \"payloads\": [\"<a xmlns='u'/>\", \"<b xmlns='u'>\"] }")]
    [InlineData("id", "{ \"to\": \"bob@example.com\", \"body\": \"x\", \"id\": \"\" }")]
    public void TryCreateMessage_Invalid_NamesField(string field, string json)
    {
        var request = System.Text.Json.JsonSerializer.Deserialize<PostMessageRequest>(json, GatewayApiFactory.Json)!;

        Assert.False(RequestMapper.TryCreateMessage(request, out _, out var errors));
        Assert.Contains(field, errors.Keys);
    }

    [Theory]
    [InlineData("subscribe", null, "to")]
    [InlineData("unavailable", "away", "show")]
    [InlineData("probe", null, "type")]
    [InlineData("error", null, "type")]
    public void TryCreatePresence_Invalid_NamesField(string type, string? show, string field)
    {
        Assert.False(RequestMapper.TryCreatePresence(new PostPresenceRequest { Type = type, Show = show }, out _, out var errors));
        Assert.Contains(field, errors.Keys);
    }

    [Fact]
    public void TryCreatePresence_PriorityOutOfRange_Refused()
    {
        Assert.False(RequestMapper.TryCreatePresence(new PostPresenceRequest { Priority = 128 }, out _, out var errors));
        Assert.Contains("priority", errors.Keys);
    }

    [Fact]
    public void TryCreatePresence_Subscribe_Maps()
    {
        Assert.True(RequestMapper.TryCreatePresence(new PostPresenceRequest { Type = "subscribe", To = "bob@example.com" }, out var presence, out _));
        Assert.Equal(PresenceType.Subscribe, presence.Type);
    }

    [Fact]
    public void TryCreateIq_Get_IsRequestWithTimeout()
    {
        Assert.True(RequestMapper.TryCreateIq(new PostIqRequest { Type = "get", Payload = "<ping xmlns='urn:xmpp:ping'/>", TimeoutSeconds = 7 }, out var iq, out var isAnswer, out var timeout, out _));

        Assert.False(isAnswer);
        Assert.Equal(IqType.Get, iq.Type);
        Assert.Equal(TimeSpan.FromSeconds(7), timeout);
        Assert.Equal("ping", iq.Query!.Name.LocalName);
    }

    [Fact]
    public void TryCreateIq_ErrorAnswer_UsesDefaultTypeForCondition()
    {
        var request = System.Text.Json.JsonSerializer.Deserialize<PostIqRequest>("""{ "type": "error", "id": "q1", "to": "bob@example.com/x", "error": { "condition": "forbidden" } }""", GatewayApiFactory.Json)!;

        Assert.True(RequestMapper.TryCreateIq(request, out var iq, out var isAnswer, out _, out _));

        Assert.True(isAnswer);
        Assert.Equal(StanzaErrorType.Auth, iq.Error!.Type);
    }

    [Theory]
    [InlineData("{ \"type\": \"get\" }", "payload")]
    [InlineData("{ \"type\": \"get\", \"payload\": \"<q xmlns='x'/>\", \"timeoutSeconds\": 0 }", "timeoutSeconds")]
    [InlineData("{ \"type\": \"get\", \"payload\": \"<q xmlns='x'/>\", \"timeoutSeconds\": 121 }", "timeoutSeconds")]
    [InlineData("{ \"type\": \"set\", \"payload\": \"<q xmlns='x'/>\", \"error\": { \"condition\": \"conflict\" } }", "error")]
    [InlineData("{ \"type\": \"result\" }", "id")]
    [InlineData("{ \"type\": \"result\", \"id\": \"1\", \"timeoutSeconds\": 5 }", "timeoutSeconds")]
    [InlineData("{ \"type\": \"error\", \"id\": \"1\" }", "error.condition")]
    [InlineData("{ \"type\": \"error\", \"id\": \"1\", \"error\": { \"condition\": \"no-such-condition\" } }", "error.condition")]
    [InlineData("{ \"type\": \"error\", \"id\": \"1\", \"error\": { \"type\": \"sometimes\", \"condition\": \"conflict\" } }", "error.type")]
    [InlineData("{ \"type\": \"poll\" }", "type")]
    [InlineData("{ \"type\": \"get\", \"payload\": \"<a xmlns='u'/><b xmlns='u'/>\" }", "payload")]
    public void TryCreateIq_Invalid_NamesField(string json, string field)
    {
        var request = System.Text.Json.JsonSerializer.Deserialize<PostIqRequest>(json, GatewayApiFactory.Json)!;

        Assert.False(RequestMapper.TryCreateIq(request, out _, out _, out _, out var errors));
        Assert.Contains(field, errors.Keys);
    }

    [Theory]
    [InlineData("example.com")]
    [InlineData("bad jid")]
    [InlineData("@@")]
    public void TryCreateSpec_NotAnAccountJid_Refused(string jid)
    {
        Assert.False(RequestMapper.TryCreateSpec(new CreateSessionRequest { Jid = jid, Password = "pw" }, true, out _, out var errors));
        Assert.Contains("jid", errors.Keys);
    }

    [Theory]
    [InlineData("port", "{ \"jid\": \"a@b.c\", \"password\": \"p\", \"port\": 0 }")]
    [InlineData("host", "{ \"jid\": \"a@b.c\", \"password\": \"p\", \"host\": \"not a host\" }")]
    [InlineData("tlsMode", "{ \"jid\": \"a@b.c\", \"password\": \"p\", \"tlsMode\": \"none\" }")]
    [InlineData("pinnedCertificateSha256[0]", "{ \"jid\": \"a@b.c\", \"password\": \"p\", \"pinnedCertificateSha256\": [\"abc\"] }")]
    [InlineData("id", "{ \"jid\": \"a@b.c\", \"password\": \"p\", \"id\": \"has space\" }")]
    [InlineData("id", "{ \"jid\": \"a@b.c\", \"password\": \"p\", \"id\": \"-leading\" }")]
    [InlineData("password", "{ \"jid\": \"a@b.c\", \"password\": \"\" }")]
    [InlineData("resource", "{ \"jid\": \"a@b.c\", \"password\": \"p\", \"resource\": \"\" }")]
    public void TryCreateSpec_Invalid_NamesField(string field, string json)
    {
        var request = System.Text.Json.JsonSerializer.Deserialize<CreateSessionRequest>(json, GatewayApiFactory.Json)!;

        Assert.False(RequestMapper.TryCreateSpec(request, allowHostOverride: true, out _, out var errors));
        Assert.Contains(field, errors.Keys);
    }

    [Fact]
    public void TryCreateSpec_PlaintextWithoutHostOverride_Refused()
    {
        Assert.False(RequestMapper.TryCreateSpec(new CreateSessionRequest { Jid = "a@b.c", Password = "p", TlsMode = "disabled" }, allowHostOverride: false, out _, out var errors));
        Assert.Contains("tlsMode", errors.Keys);
    }

    [Fact]
    [Trait("Security", "SSRF")]
    public void TryCreateSpec_PinsWithoutHostOverride_Refused()
    {
        var request = new CreateSessionRequest { Jid = "a@b.c", Password = "p", PinnedCertificateSha256 = [string.Concat(Enumerable.Repeat("AB", 32))] };

        Assert.False(RequestMapper.TryCreateSpec(request, allowHostOverride: false, out _, out var errors));
        Assert.Contains("pinnedCertificateSha256", errors.Keys);
    }

    [Fact]
    public void TryCreateSpec_Full_MapsEveryField()
    {
        var pin = string.Join(':', Enumerable.Repeat("AB", 32));
        var request = new CreateSessionRequest
        {
            Id = "s-1", Jid = "Alice@Example.com/desk", Password = "p", Host = "127.0.0.1", Port = 5222, TlsMode = "direct-tls",
            PinnedCertificateSha256 = [pin], SendInitialPresence = false,
        };

        Assert.True(RequestMapper.TryCreateSpec(request, allowHostOverride: true, out var spec, out var errors), string.Join(";", errors.Keys));

        Assert.Equal("alice@example.com", spec.Jid.ToString());
        Assert.Equal("desk", spec.Resource);
        Assert.Equal(("127.0.0.1", 5222, TlsMode.DirectTls, false), (spec.Host, spec.Port, spec.TlsMode, spec.SendInitialPresence));
        Assert.Equal(pin, Assert.Single(spec.PinnedCertificateSha256));
    }

    [Theory]
    [InlineData("bob@example.com/phone")]
    [InlineData("not a jid")]
    public void TryCreateRosterItem_NotBareJid_Refused(string jid)
    {
        Assert.False(RequestMapper.TryCreateRosterItem(jid, null, out _, out var errors));
        Assert.Contains("jid", errors.Keys);
    }

    [Fact]
    public void TryCreateRosterItem_EmptyGroup_Refused()
    {
        Assert.False(RequestMapper.TryCreateRosterItem("bob@example.com", new PutRosterItemRequest { Groups = ["ok", ""] }, out _, out var errors));
        Assert.Contains("groups[1]", errors.Keys);
    }
}
