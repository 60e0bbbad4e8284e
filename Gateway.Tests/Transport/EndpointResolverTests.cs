using Gateway.Xmpp.Transport;
using static Gateway.Xmpp.Transport.DnsSrvEndpointResolver;

namespace Gateway.Tests.Transport;

public sealed class EndpointResolverTests
{
    [Fact]
    public void Order_NoRecords_FallsBackToDomainOn5222()
    {
        var endpoints = Order([], "example.com", new Random(1));

        Assert.Equal([new XmppEndpoint("example.com", 5222, DirectTls: false)], endpoints);
    }

    [Fact]
    public void Order_DotTarget_ServiceNotAvailable()
    {
        Assert.Empty(Order([new SrvCandidate(".", 0, 0, 0, false)], "example.com", new Random(1)));
    }

    [Fact]
    public void Order_MixedRecords_SortedByPriorityWithBothServices()
    {
        SrvCandidate[] records =
        [
            new("c.example.com.", 5222, 20, 0, false),
            new("a.example.com.", 5223, 10, 0, true),
            new("b.example.com.", 5222, 10, 0, false),
        ];

        for (var seed = 0; seed < 20; seed++)
        {
            var endpoints = Order(records, "example.com", new Random(seed));

            Assert.Equal(3, endpoints.Count);
            Assert.Equal(["a.example.com", "b.example.com"], endpoints.Take(2).Select(e => e.Host).Order());
            Assert.Equal(new XmppEndpoint("c.example.com", 5222, false), endpoints[2]);
            Assert.True(endpoints.Single(e => e.Host == "a.example.com").DirectTls);
        }
    }

    [Fact]
    public void Order_Weights_HeavierChosenFirstMoreOften()
    {
        SrvCandidate[] records = [new("heavy", 1, 0, 90, false), new("light", 1, 0, 10, false)];
        var random = new Random(42);

        var heavyFirst = Enumerable.Range(0, 1000).Count(_ => Order(records, "d", random)[0].Host == "heavy");

        Assert.InRange(heavyFirst, 800, 980);
    }
}
