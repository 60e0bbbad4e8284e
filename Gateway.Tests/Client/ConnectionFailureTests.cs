using System.Xml.Linq;
using Gateway.Tests.Protocol;
using Gateway.Xmpp;
using Gateway.Xmpp.Client;
using Gateway.Xmpp.Protocol;

namespace Gateway.Tests.Client;

/// <summary>How failures are named and classified: retry soon, retry much later, or give up.</summary>
[Trait("Tier", "Unit")]
public sealed class ConnectionFailureTests
{
    [Fact]
    [Trait("Spec", "RFC 6120 §4.9.3.14")]
    public void Describe_ServerPolicyViolation_IsTransientServerPolicy()
    {
        // ejabberd mod_fail2ban's answer to every stream from an address after repeated failed logins.
        var ban = Parse("<policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
            + "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>Too many (5) failed authentications from this IP address (127.0.0.1). The address will be unblocked at 12:00:00 UTC</text>");

        Assert.True(ban.IsTransient);
        Assert.Equal(ConnectionFailure.PolicyViolation, ConnectionFailure.Describe(ban).Reason);
        Assert.True(ConnectionFailure.IsServerPolicy(ban));
    }

    [Theory]
    [InlineData("<policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><stanza-too-big xmlns='urn:xmpp:errors'/>")] // Prosody 0.12
    [InlineData("<policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>XML stanza is too big</text>")] // ejabberd
    [InlineData("<policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>stanza too large</text>")]
    public void Describe_ServerRefusedOurStanzaAsTooLarge_OutboundReasonNotServerPolicy(string conditions)
    {
        var tooBig = Parse(conditions);

        Assert.True(tooBig.IsTransient);
        Assert.Equal(ConnectionFailure.OutboundStanzaTooLarge, ConnectionFailure.Describe(tooBig).Reason);
        Assert.False(ConnectionFailure.IsServerPolicy(tooBig));
    }

    [Fact]
    public void Describe_OurParserLimit_InboundReasonNotServerPolicy()
    {
        var parser = new XmppStreamParser(maxStanzaBytes: 4096);
        XmppStreamParserTestKit.FeedWhole(parser, XmppStreamParserTestKit.Utf8(XmppStreamParserTestKit.ClientHeader));
        var ex = Assert.Throws<XmppProtocolException>(() =>
            XmppStreamParserTestKit.FeedWhole(parser, XmppStreamParserTestKit.Utf8("<message><body>" + new string('a', 8192) + "</body></message>")));

        Assert.Equal(StreamErrorCondition.PolicyViolation, ex.Condition);
        Assert.Equal(ConnectionFailure.InboundStanzaTooLarge, ConnectionFailure.Describe(ex).Reason);
        Assert.False(ConnectionFailure.IsServerPolicy(ex));
    }

    [Theory]
    [InlineData(StreamErrorCondition.Conflict)]
    [InlineData(StreamErrorCondition.NotAuthorized)]
    [InlineData(StreamErrorCondition.HostUnknown)]
    public void IsTransient_ReplacedOrRefused_StaysPermanent(StreamErrorCondition condition)
    {
        Assert.False(new StreamErrorException(condition, null).IsTransient);
    }

    private static StreamErrorException Parse(string conditions) =>
        StreamErrors.Parse(XElement.Parse($"<stream:error xmlns:stream='{Ns.Streams}'>{conditions}</stream:error>"));
}
