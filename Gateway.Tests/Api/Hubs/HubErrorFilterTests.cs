using Gateway.Api.Hubs;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;

namespace Gateway.Tests.Api.Hubs;

[Trait("Tier", "Unit")]
public sealed class HubErrorFilterTests
{
    [Fact]
    public void Describe_StanzaError_CodeConditionAndText() =>
        Assert.Equal(
            "xmpp-stanza-error (item-not-found): XMPP stanza error 'item-not-found' (type cancel): no such node",
            HubErrorFilter.Describe(new StanzaErrorException(StanzaError.Of(StanzaErrorCondition.ItemNotFound, "no such node"))));

    [Fact]
    public void Describe_Timeout_SaysTimeout() =>
        Assert.StartsWith("xmpp-timeout: ", HubErrorFilter.Describe(new XmppTimeoutException("IQ 'x'", TimeSpan.FromSeconds(3))), StringComparison.Ordinal);

    [Fact]
    public void Describe_QueueFull_SaysRetry() =>
        Assert.StartsWith("outbound-queue-full: ", HubErrorFilter.Describe(new OutboundQueueFullException("s1", 10, TimeSpan.FromSeconds(2))), StringComparison.Ordinal);

    [Fact]
    public void Describe_Bug_Null() =>
        Assert.Null(HubErrorFilter.Describe(new NullReferenceException("internal detail")));
}
