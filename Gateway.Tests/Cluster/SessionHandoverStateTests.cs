using System.Diagnostics;
using System.Xml.Linq;
using Gateway.Api.Cluster;
using Gateway.Xmpp;
using Gateway.Xmpp.StreamManagement;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Gateway.Tests.Cluster;

/// <summary>
/// The stream a draining node hands over (XEP-0198 §5 resumption state), through the form Orleans carries between
/// nodes and back into the handoff the next node's first connection resumes with. No server involved.
/// </summary>
public sealed class SessionHandoverStateTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 21, 0, 0, TimeSpan.Zero);
    private static readonly Message Sent = new() { To = Jid.Parse("bob@example.org"), Type = MessageType.Chat, Body = "sent, not acked", Id = "m-1" };
    private static readonly Iq Ping = new() { Type = IqType.Get, Id = "iq-1", To = Jid.Parse("example.org"), Payload = [new XElement(XName.Get("ping", "urn:xmpp:ping"))] };
    private static readonly Message Queued = new() { To = Jid.Parse("bob@example.org"), Type = MessageType.Chat, Body = "queued, never sent", Id = "m-2" };

    [Fact]
    public void Handover_ThroughOrleansSerializer_ResumesWithCountsAndSharesTheOutboxAcknowledgements()
    {
        var streamAck = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dropped = new StreamHandoff(
            "resume-7", Jid.Parse("alice@example.org/gateway"), inboundHandled: 41, outboundAcked: 12,
            [new PendingAcknowledgement(Sent, streamAck), new PendingAcknowledgement(Ping, new TaskCompletionSource())],
            maxResumeSeconds: 300, detachedAt: Stopwatch.GetTimestamp());

        var resumption = StreamResumption.From(dropped, Now);
        Assert.NotNull(resumption);
        var carried = RoundTrip(SessionHandoverState.From(resumption));
        var arrived = carried.ToResumption();

        Assert.NotNull(arrived);
        Assert.Equal("resume-7", arrived.ResumptionId);
        Assert.Equal("alice@example.org/gateway", arrived.BoundJid);
        Assert.Equal(41u, arrived.InboundHandled);
        Assert.Equal(12u, arrived.OutboundAcked);
        Assert.Equal(300, arrived.MaxResumeSeconds);
        Assert.Equal(Now, arrived.DetachedAt);
        Assert.Equal(resumption.Unacknowledged, arrived.Unacknowledged);

        // The new node's outbox: the message the stream carried, and one it never sent.
        var outbox = StreamHandoff.ForUnconfirmed([Sent, Queued], out var outboxAcks);
        var handoff = arrived.ToHandoff(outbox, Now.AddSeconds(5));

        Assert.True(handoff.CanResume);
        Assert.Equal("resume-7", handoff.ResumptionId);
        Assert.Equal(Jid.Parse("alice@example.org/gateway"), handoff.BoundJid);
        Assert.Equal(41u, handoff.InboundHandled);
        Assert.Equal(12u, handoff.OutboundAcked);

        // The stream's order first (the server's 'h' counts it), then what it never carried.
        Assert.Equal(["m-1", "iq-1", "m-2"], handoff.UnacknowledgedIds);
        Assert.Equal("sent, not acked", Assert.IsType<Message>(handoff.UnacknowledgedStanzas.First()).Body);

        // Settling the resumed stream acknowledges the outbox's own entries.
        handoff.Unacked[0].Acknowledged.SetResult();
        handoff.Unacked[2].Acknowledged.SetResult();
        Assert.True(outboxAcks[0].IsCompletedSuccessfully);
        Assert.True(outboxAcks[1].IsCompletedSuccessfully);
    }

    [Fact]
    public void StreamPastTheServersWindow_IsNotResumed()
    {
        var resumption = new StreamResumption("resume-8", "alice@example.org/gateway", 1, 1, [], MaxResumeSeconds: 60, DetachedAt: Now);

        var handoff = resumption.ToHandoff(queued: null, Now.AddMinutes(2));

        Assert.False(handoff.CanResume);
        Assert.True(resumption.ToHandoff(queued: null, Now.AddSeconds(30)).CanResume);
    }

    [Fact]
    public void NoResumption_CarriesNothingToResume()
    {
        var notResumable = new StreamHandoff(null, Jid.Parse("alice@example.org/gateway"), 3, 2, []);

        Assert.Null(StreamResumption.From(notResumable, Now));
        Assert.Null(RoundTrip(SessionHandoverState.From(null)).ToResumption());
    }

    [Fact]
    public void HandoverWithABareJid_IsRefused()
    {
        var resumption = new StreamResumption("resume-9", "alice@example.org", 0, 0, [], null, Now);

        Assert.Throws<XmppProtocolException>(() => resumption.ToHandoff(null, Now));
    }

    private static SessionHandoverState RoundTrip(SessionHandoverState state)
    {
        using var services = new ServiceCollection()
            .AddSerializer(serializer => serializer.AddAssembly(typeof(SessionHandoverState).Assembly))
            .BuildServiceProvider();
        var serializer = services.GetRequiredService<Serializer>();
        return serializer.Deserialize<SessionHandoverState>(serializer.SerializeToArray(state)) ?? throw new InvalidOperationException("Nothing came back.");
    }
}
