using Gateway.Tests.Fakes;
using Gateway.Xmpp;
using Gateway.Xmpp.Client;
using Gateway.Xmpp.Pool;
using Microsoft.Extensions.Logging.Testing;

namespace Gateway.Tests.Pool.Carbons;

/// <summary>Carbons are enabled on every new stream, left alone on a resumed one, and a refusal is no failure.</summary>
[Trait("Tier", "Unit")]
public sealed class CarbonsFeatureTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Spec", "XEP-0280 §4")]
    public async Task NewStream_SendsEnable()
    {
        var asked = new List<Iq>();
        var connection = new FakeConnection { AnswerIq = iq => { asked.Add(iq); return Task.FromResult(iq.ResultReply()); } };
        using var context = new ConnectionContext(connection, 1);
        var logger = new FakeLogger();

        await new CarbonsFeature("t", "s", TimeSpan.FromSeconds(5), logger).OnConnectedAsync(context, Token);

        var enable = Assert.Single(asked);
        Assert.Equal((IqType.Set, CarbonElements.Enable), (enable.Type, enable.Query!.Name));
        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Id.Id == 4281);
    }

    [Fact]
    [Trait("Spec", "XEP-0198 §5")]
    public async Task ResumedStream_AsksNothing()
    {
        var connection = new FakeConnection(resumed: true) { AnswerIq = _ => throw new InvalidOperationException("no IQ expected") };
        using var context = new ConnectionContext(connection, 2);

        await new CarbonsFeature("t", "s", TimeSpan.FromSeconds(5), new FakeLogger()).OnConnectedAsync(context, Token);
    }

    [Theory]
    [Trait("Spec", "XEP-0280 §4.1")]
    [InlineData(StanzaErrorCondition.Forbidden)]
    [InlineData(StanzaErrorCondition.ServiceUnavailable)]
    public async Task Refused_LoggedNotThrown(StanzaErrorCondition condition)
    {
        var connection = new FakeConnection { AnswerIq = _ => Task.FromException<Iq>(new StanzaErrorException(StanzaError.Of(condition))) };
        using var context = new ConnectionContext(connection, 1);
        var logger = new FakeLogger();

        await new CarbonsFeature("t", "s", TimeSpan.FromSeconds(5), logger).OnConnectedAsync(context, Token);

        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Id.Id == 4282 && r.Message.Contains(condition.ToWire(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task NoAnswerInTime_LoggedNotThrown()
    {
        var connection = new FakeConnection { AnswerIq = iq => Task.FromException<Iq>(new XmppTimeoutException(iq.Id!, TimeSpan.FromSeconds(5))) };
        using var context = new ConnectionContext(connection, 1);
        var logger = new FakeLogger();

        await new CarbonsFeature("t", "s", TimeSpan.FromSeconds(5), logger).OnConnectedAsync(context, Token);

        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Id.Id == 4282);
    }
}
