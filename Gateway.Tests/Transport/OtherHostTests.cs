using Gateway.Xmpp.Transport;

namespace Gateway.Tests.Transport;

[Trait("Spec", "RFC 6120 §4.9.3.19")]
public sealed class OtherHostTests
{
    [Theory]
    [InlineData("xmpp2.example.com", false, "xmpp2.example.com", 5222)]
    [InlineData("xmpp2.example.com", true, "xmpp2.example.com", 5223)]
    [InlineData("xmpp2.example.com:5999", false, "xmpp2.example.com", 5999)]
    [InlineData(" 192.0.2.7:5222 ", false, "192.0.2.7", 5222)]
    [InlineData("[2001:db8::7]", false, "2001:db8::7", 5222)]
    [InlineData("[2001:db8::7]:5299", true, "2001:db8::7", 5299)]
    public void TryParse_HostWithOptionalPort_Parsed(string text, bool directTls, string host, int port)
    {
        Assert.True(OtherHost.TryParse(text, directTls, out var endpoint));
        Assert.Equal(new XmppEndpoint(host, port, directTls), endpoint);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("2001:db8::7")]
    [InlineData("[2001:db8::7")]
    [InlineData("[2001:db8::7]x")]
    [InlineData("host:0")]
    [InlineData("host:65536")]
    [InlineData("host:-1")]
    [InlineData("host:port")]
    [InlineData("bad host")]
    [InlineData("http://evil.example/")]
    public void TryParse_Malformed_False(string? text)
    {
        Assert.False(OtherHost.TryParse(text, directTls: false, out _));
    }
}
