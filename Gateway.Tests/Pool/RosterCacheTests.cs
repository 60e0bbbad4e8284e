using Gateway.Xmpp;
using Gateway.Xmpp.Pool;

namespace Gateway.Tests.Pool;

[Trait("Tier", "Unit")]
[Trait("Spec", "RFC 6121 §2.6")]
public sealed class RosterCacheTests
{
    private static readonly Jid Alice = Jid.Parse("alice@example.com");
    private static readonly Jid Bob = Jid.Parse("bob@example.com");
    private static readonly Jid Carol = Jid.Parse("carol@example.com");

    [Fact]
    public void Replace_FirstRosterIsTheBaseline_LaterOnesReportWhatChanged()
    {
        var cache = new RosterCache();
        Assert.Equal("", cache.RequestVersion);

        var baseline = cache.Replace(new Roster([new RosterItem(Alice) { Name = "A", Groups = ["x", "y"] }, new RosterItem(Bob) { Subscription = RosterSubscription.Both }], "v1"));
        Assert.Empty(baseline);
        Assert.Equal("v1", cache.RequestVersion);

        var changes = cache.Replace(new Roster(
            [new RosterItem(Alice) { Name = "A", Groups = ["y", "x"] }, new RosterItem(Carol) { Name = "C" }, new RosterItem(Bob) { Subscription = RosterSubscription.From }], "v2"));

        Assert.Equal(2, changes.Length);
        Assert.Contains(changes, i => i.Jid == Carol && i.Name == "C");
        Assert.Contains(changes, i => i.Jid == Bob && i.Subscription == RosterSubscription.From);
        Assert.Equal("v2", cache.RequestVersion);

        var removed = Assert.Single(cache.Replace(new Roster([new RosterItem(Alice) { Name = "A", Groups = ["x", "y"] }, new RosterItem(Bob) { Subscription = RosterSubscription.From }], "v3")));
        Assert.Equal(Carol, removed.Jid);
        Assert.Equal(RosterSubscription.Remove, removed.Subscription);
    }

    [Fact]
    public void Apply_PushesKeepItemsAndVersionCurrent_SoTheNextRosterReportsNothingTwice()
    {
        var cache = new RosterCache();
        cache.Replace(new Roster([new RosterItem(Alice)], "v1"));

        cache.Apply(new RosterItem(Bob) { Name = "B" }, "v2");
        cache.Apply(new RosterItem(Alice) { Subscription = RosterSubscription.Remove }, "v3");

        Assert.Equal("v3", cache.RequestVersion);
        Assert.Equal([Bob], cache.Items.Select(i => i.Jid));
        Assert.Empty(cache.Replace(new Roster([new RosterItem(Bob) { Name = "B" }], "v3")));
    }
}
