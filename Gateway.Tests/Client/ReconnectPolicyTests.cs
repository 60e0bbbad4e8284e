using Gateway.Xmpp;
using Gateway.Xmpp.Client;

namespace Gateway.Tests.Client;

public sealed class ReconnectPolicyTests
{
    [Fact]
    public void NextDelay_FullJitter_StaysWithinExponentialCeilingCappedAtMax()
    {
        var policy = new ReconnectPolicy(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), new Random(7));

        for (var attempt = 1; attempt <= 12; attempt++)
        {
            var ceiling = TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, attempt - 1)));
            Assert.Equal(ceiling, policy.Ceiling(attempt));
            for (var i = 0; i < 50; i++)
            {
                Assert.InRange(policy.NextDelay(attempt), TimeSpan.Zero, ceiling);
            }
        }
    }

    [Fact]
    public void NextDelay_ManySessions_SpreadRatherThanSynchronised()
    {
        var policy = new ReconnectPolicy(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), new Random(3));

        var delays = Enumerable.Range(0, 200).Select(_ => policy.NextDelay(6).TotalMilliseconds).ToArray();

        Assert.True(delays.Max() - delays.Min() > 20_000, "full jitter should spread delays over most of [0, 32 s]");
    }

    [Fact]
    public void NextDelay_HugeAttempt_DoesNotOverflow()
    {
        var policy = new ReconnectPolicy(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(2), new Random(1));

        Assert.InRange(policy.NextDelay(int.MaxValue), TimeSpan.Zero, TimeSpan.FromMinutes(2));
    }

    [Fact]
    public void DelayAfter_ServerPolicyViolation_WaitsBetweenHalfAndAllOfTheLongDelay()
    {
        var policy = new ReconnectPolicy(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), new Random(5), TimeSpan.FromMinutes(10));
        var ban = new StreamErrorException(StreamErrorCondition.PolicyViolation, "Too many (5) failed authentications from this IP address");

        for (var attempt = 1; attempt <= 20; attempt++)
        {
            Assert.InRange(policy.DelayAfter(ban, attempt), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void DelayAfter_StanzaTooLargeOrOrdinaryFailure_UsesTheExponentialBackoff(bool tooLarge)
    {
        var policy = new ReconnectPolicy(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), new Random(5), TimeSpan.FromMinutes(10));
        XmppException failure = tooLarge
            ? new StreamErrorException(StreamErrorCondition.PolicyViolation, "XML stanza is too big")
            : new XmppConnectionException("lost");

        Assert.InRange(policy.DelayAfter(failure, 2), TimeSpan.Zero, TimeSpan.FromSeconds(2));
    }
}
