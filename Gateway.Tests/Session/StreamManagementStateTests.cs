using Gateway.Xmpp;
using Gateway.Xmpp.StreamManagement;

namespace Gateway.Tests.Session;

/// <summary>XEP-0198 counting without a socket: what 'h' says when stanzas wait for the consumer to store them.</summary>
public sealed class StreamManagementStateTests
{
    [Fact]
    [Trait("Spec", "XEP-0198 §4")]
    public void InboundHandled_StanzaAwaitingConsumer_StopsBeforeItUntilAcknowledged()
    {
        var state = new StreamManagementState("id", resumable: true);
        state.CountInbound();                      // 1: an IQ reply, handled at once
        state.CountInbound(awaitsConsumer: true);  // 2: a message the consumer must store
        state.CountInbound();                      // 3: handled at once, but behind 2

        Assert.Equal(1u, state.InboundHandled);
        Assert.Null(state.AcknowledgeInbound(1)); // nobody asked meanwhile: nothing owed
        Assert.Equal(3u, state.InboundHandled);
    }

    [Fact]
    [Trait("Spec", "XEP-0198 §4")]
    public void Answer_WhileStanzasAwaitConsumer_FresherAnswerOwedOnceTheyAreAcknowledged()
    {
        var state = new StreamManagementState("id", resumable: true);
        state.CountInbound(awaitsConsumer: true);
        state.CountInbound(awaitsConsumer: true);

        Assert.Equal("0", (string?)state.Answer().Attribute("h"));
        Assert.Equal("1", (string?)state.AcknowledgeInbound(1)?.Attribute("h"));
        Assert.Equal("2", (string?)state.AcknowledgeInbound(1)?.Attribute("h"));
        Assert.Null(state.AcknowledgeInbound(0));
    }

    [Fact]
    [Trait("Spec", "XEP-0198 §4")]
    public void DeliverUncounted_ConsumerAcknowledgesItTooWithoutMovingH()
    {
        var state = new StreamManagementState("id", resumable: true);
        state.DeliverUncounted();                 // arrived before <enabled/>: never counts
        state.CountInbound(awaitsConsumer: true);

        state.AcknowledgeInbound(1);              // the consumer is done with the uncounted one only
        Assert.Equal(0u, state.InboundHandled);
        state.AcknowledgeInbound(1);
        Assert.Equal(1u, state.InboundHandled);
        Assert.Equal(0, state.AwaitingConsumer);
    }

    [Fact]
    [Trait("Spec", "XEP-0198 §5")]
    public void Detach_ReportsOnlyWhatTheConsumerAcknowledged()
    {
        var state = new StreamManagementState("id", resumable: true);
        state.CountInbound(awaitsConsumer: true);
        state.CountInbound(awaitsConsumer: true);
        state.AcknowledgeInbound(1);

        var (_, _, handled) = state.Detach();

        Assert.Equal(1u, handled);
    }

    [Fact]
    [Trait("Spec", "XEP-0198 §4")]
    public void TryBeginAckRequest_SecondOnlyForAWaitingCallerAndWhatTheFirstDoesNotCover_NeverAThird()
    {
        var state = new StreamManagementState("id", resumable: true);
        Assert.False(state.TryBeginAckRequest(forWaitingCaller: true)); // nothing to acknowledge
        _ = state.OnSent(new Message { Id = "m1" });
        Assert.True(state.TryBeginAckRequest());
        Assert.False(state.TryBeginAckRequest(forWaitingCaller: true)); // the request out covers m1 already

        _ = state.OnSent(new Message { Id = "m2" });
        Assert.False(state.TryBeginAckRequest());                       // nobody waits: one out is enough
        Assert.True(state.TryBeginAckRequest(forWaitingCaller: true));  // m2 is not covered by the first
        _ = state.OnSent(new Message { Id = "m3" });
        Assert.False(state.TryBeginAckRequest(forWaitingCaller: true)); // never more than MaxRequestsOut
        Assert.Equal(2, StreamManagementState.MaxRequestsOut);

        state.OnAcknowledged(1);                                        // the first answer
        Assert.True(state.TryBeginAckRequest(forWaitingCaller: true));  // m3 is not covered by the second
        state.OnAcknowledged(2);
        state.OnAcknowledged(3);
        Assert.False(state.TryBeginAckRequest());                       // everything acknowledged
        _ = state.OnSent(new Message { Id = "m4" });
        Assert.True(state.TryBeginAckRequest());                        // both answers came: none out
    }

    [Fact]
    [Trait("Spec", "XEP-0198 §4")]
    public void OnAcknowledged_MoreThanSent_HandledCountTooHigh()
    {
        var state = new StreamManagementState("id", resumable: true);
        _ = state.OnSent(new Message { Id = "m1" });

        var error = Assert.Throws<XmppProtocolException>(() => state.OnAcknowledged(2));

        Assert.Contains("handled-count-too-high", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Spec", "XEP-0198 §4, §5")]
    public async Task OnAcknowledged_AfterDetach_IgnoredAndTheHandedOverStanzasStayPending()
    {
        // The reader may still apply an <a/> of the old stream after its stanzas moved on to the next one (seen in chaos
        // runs: the old stream then ended with handled-count-too-high, 30 acknowledged, 29 before, 30 sent).
        var state = new StreamManagementState("id", resumable: true);
        var first = state.OnSent(new Message { Id = "m1" });
        var second = state.OnSent(new Message { Id = "m2" });
        state.OnAcknowledged(1);
        var (pending, acked, _) = state.Detach();

        state.OnAcknowledged(2);

        await first;
        Assert.Equal(1u, acked);
        Assert.Equal("m2", Assert.Single(pending).Stanza.Id);
        Assert.False(second.IsCompleted);
    }

    [Fact]
    [Trait("Spec", "XEP-0198 §5")]
    public void TryParseHandled_FailedWithAndWithoutH()
    {
        Assert.Equal(7u, StreamManagementState.TryParseHandled(System.Xml.Linq.XElement.Parse("<failed xmlns='urn:xmpp:sm:3' h='7'/>")));
        Assert.Null(StreamManagementState.TryParseHandled(System.Xml.Linq.XElement.Parse("<failed xmlns='urn:xmpp:sm:3'/>")));
        Assert.Null(StreamManagementState.TryParseHandled(System.Xml.Linq.XElement.Parse("<failed xmlns='urn:xmpp:sm:3' h='-1'/>")));
    }
}
