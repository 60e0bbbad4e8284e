using Gateway.Xmpp;
using Gateway.Xmpp.Session;

namespace Gateway.Tests.Session;

[Trait("Tier", "Unit")]
[Trait("Spec", "RFC 6121 §8.5.3.1, XEP-0184 §8")]
public sealed class PresenceAudienceTests
{
    private static readonly Jid Self = Jid.Parse("me@example.com/gateway");

    [Theory]
    [InlineData("me@example.com/phone", true)]
    [InlineData("me@example.com", true)]
    [InlineData("example.com", true)]
    [InlineData("example.com/admin", true)]
    [InlineData("friend@example.org/desk", true)]
    [InlineData("follower@example.org/desk", true)]
    [InlineData("watched@example.org/desk", false)]
    [InlineData("pending@example.org", false)]
    [InlineData("stranger@example.com/x", false)]
    [InlineData("other.example.com", false)]
    [InlineData("example.org", false)]
    public void Admits_Subscribed_OnlyAccountServerAndContactsSeeingOurPresence(string entity, bool admitted)
    {
        var audience = new PresenceAudience(Self, RespondTo.Subscribed);
        audience.Reset([
            new RosterItem(Jid.Parse("friend@example.org")) { Subscription = RosterSubscription.Both },
            new RosterItem(Jid.Parse("follower@example.org")) { Subscription = RosterSubscription.From },
            new RosterItem(Jid.Parse("watched@example.org")) { Subscription = RosterSubscription.To },
            new RosterItem(Jid.Parse("pending@example.org")) { Subscription = RosterSubscription.None, PendingOut = true },
        ]);

        Assert.Equal(admitted, audience.Admits(Jid.Parse(entity)));
        Assert.True(audience.Admits(null));
    }

    [Fact]
    public void Apply_PushesGrantAndRevoke()
    {
        var audience = new PresenceAudience(Self, RespondTo.Subscribed);
        var contact = Jid.Parse("contact@example.org/desk");
        Assert.False(audience.Admits(contact));

        audience.Apply(new RosterItem(contact.Bare) { Subscription = RosterSubscription.From });
        Assert.True(audience.Admits(contact));

        audience.Apply(new RosterItem(contact.Bare) { Subscription = RosterSubscription.To });
        Assert.False(audience.Admits(contact));

        audience.Apply(new RosterItem(contact.Bare) { Subscription = RosterSubscription.Both });
        audience.Apply(new RosterItem(contact.Bare) { Subscription = RosterSubscription.Remove });
        Assert.False(audience.Admits(contact));

        audience.Apply(new RosterItem(contact.Bare) { Subscription = RosterSubscription.Both });
        audience.Reset([]);
        Assert.False(audience.Admits(contact));
    }

    [Fact]
    public void Admits_Anyone_EvenStrangers()
    {
        var audience = new PresenceAudience(Self, RespondTo.Anyone);

        Assert.True(audience.Admits(Jid.Parse("stranger@example.net/x")));
    }
}
