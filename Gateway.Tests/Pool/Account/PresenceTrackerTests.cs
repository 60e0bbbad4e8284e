using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Pool.Account;

[Trait("Tier", "Unit")]
public sealed class PresenceTrackerTests
{
    private static readonly Jid Alice = Jid.Parse("alice@example.com");
    private static readonly Jid Bob = Jid.Parse("bob@example.com");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 31, 9, 0, 0, TimeSpan.Zero));

    private PresenceTracker Tracker(int maxResources = 16) => new(Alice.WithResource("gw"), jid => jid == Bob, _time, maxResources: maxResources);

    private static RosterItem[] Roster => [new(Bob) { Subscription = RosterSubscription.Both }, new(Jid.Parse("carol@example.org"))];

    [Fact]
    [Trait("Spec", "RFC 6121 §4.7")]
    public void Observe_AvailableAwayUnavailable_SnapshotFollows()
    {
        var tracker = Tracker();
        tracker.Observe(new Presence { From = Bob.WithResource("phone"), Priority = 5 });
        tracker.Observe(new Presence { From = Bob.WithResource("laptop"), Show = PresenceShow.Away, Status = "lunch" });
        _time.Advance(TimeSpan.FromMinutes(1));
        tracker.Observe(new Presence { From = Bob.WithResource("phone"), Type = PresenceType.Unavailable });

        var bob = tracker.Snapshot(Roster).Contacts.Single(c => c.Jid == Bob);
        var resource = Assert.Single(bob.Resources);
        Assert.Equal((Bob.WithResource("laptop"), PresenceShow.Away, "lunch"), (resource.Jid, resource.Show, resource.Status));

        tracker.Observe(new Presence { From = Bob.WithResource("laptop"), Type = PresenceType.Unavailable, Status = "bye" });
        bob = tracker.Snapshot(Roster).Contacts.Single(c => c.Jid == Bob);
        Assert.False(bob.Available);
        Assert.Equal((_time.GetUtcNow(), "bye"), (bob.UnavailableSince, bob.UnavailableStatus));
    }

    [Fact]
    public void Observe_Strangers_AndSubscriptionStanzas_Ignored()
    {
        var tracker = Tracker();
        tracker.Observe(new Presence { From = Jid.Parse("mallory@evil.example/x") });
        tracker.Observe(new Presence { From = Jid.Parse("room@conference.example.com/nick") });
        tracker.Observe(new Presence { From = Bob, Type = PresenceType.Subscribe });

        var snapshot = tracker.Snapshot(Roster);

        Assert.Equal([Bob, Jid.Parse("carol@example.org")], snapshot.Contacts.Select(c => c.Jid));
        Assert.All(snapshot.Contacts, c => Assert.False(c.Available));
        Assert.All(snapshot.Contacts, c => Assert.Null(c.UnavailableSince));
    }

    [Fact]
    public void Observe_OwnResources_ListedAsAccount_HighestPriorityFirst()
    {
        var tracker = Tracker();
        tracker.Observe(new Presence { From = Alice.WithResource("gw") });
        tracker.Observe(new Presence { From = Alice.WithResource("phone"), Priority = 10 });

        var account = tracker.Snapshot(Roster).Account;

        Assert.Equal(["phone", "gw"], account.Resources.Select(r => r.Jid.Resource));
    }

    [Fact]
    public void Observe_BeyondMaxResources_DropsTheOldest()
    {
        var tracker = Tracker(maxResources: 2);
        foreach (var resource in new[] { "a", "b", "c" })
        {
            tracker.Observe(new Presence { From = Bob.WithResource(resource) });
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(["c", "b"], tracker.Snapshot(Roster).Contacts[0].Resources.Select(r => r.Jid.Resource));
    }

    [Fact]
    [Trait("Spec", "RFC 6121 §4.5.1")]
    public void Observe_UnavailableFromBareJidOrError_EndsEveryResource()
    {
        var tracker = Tracker();
        tracker.Observe(new Presence { From = Bob.WithResource("a") });
        tracker.Observe(new Presence { From = Bob.WithResource("b") });
        tracker.Observe(new Presence { From = Bob, Type = PresenceType.Error });

        Assert.False(tracker.Snapshot(Roster).Contacts[0].Available);
    }

    [Fact]
    public void Clear_ForgetsEverything_AndContactsLeavingTheRosterAreDropped()
    {
        var tracker = Tracker();
        tracker.Observe(new Presence { From = Bob.WithResource("a") });

        Assert.Empty(tracker.Snapshot([]).Contacts);
        Assert.False(tracker.Snapshot(Roster).Contacts[0].Available);

        tracker.Observe(new Presence { From = Bob.WithResource("a") });
        tracker.Clear();
        Assert.False(tracker.Snapshot(Roster).Contacts[0].Available);
    }
}
