using Gateway.Xmpp;
using Gateway.Xmpp.Session;
using Gateway.Xmpp.StreamManagement;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Session;

/// <summary>When a stream asks the server to acknowledge (XEP-0198 §4 &lt;r/&gt;), without a socket: the clock is fake.</summary>
public sealed class AckRequestSchedulerTests : IDisposable
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(10);

    private readonly StreamManagementState _state = new("id", resumable: true);
    private readonly FakeTimeProvider _time = new();
    private readonly AckRequestScheduler _scheduler;
    private int _requests;

    public AckRequestSchedulerTests() => _scheduler = new AckRequestScheduler(_state, () => _requests++, Delay, _time);

    public void Dispose() => _scheduler.Dispose();

    [Fact]
    [Trait("Spec", "XEP-0198 §4")]
    public void Schedule_FewOutstanding_AsksOnlyOnceQuietForTheDelay()
    {
        Send(2);
        _scheduler.Schedule();
        Assert.Equal(0, _requests);

        _time.Advance(Delay - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, _requests);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, _requests);
    }

    [Fact]
    [Trait("Spec", "XEP-0198 §4")]
    public void Schedule_WritesWithinTheDelay_ShareOneRequestThatIsNotPushedOut()
    {
        Send(1);
        _scheduler.Schedule();
        _time.Advance(TimeSpan.FromMilliseconds(6));
        Send(1);
        _scheduler.Schedule();              // armed already: the request stays due 10 ms after the first write
        _time.Advance(TimeSpan.FromMilliseconds(4));

        Assert.Equal(1, _requests);
        _time.Advance(Delay * 3);
        Assert.Equal(1, _requests);         // nothing new written: no second request
    }

    [Fact]
    [Trait("Spec", "XEP-0198 §4")]
    public void Schedule_ThresholdOutstanding_AsksAtOnce()
    {
        Send(AckRequestScheduler.Threshold);
        _scheduler.Schedule();

        Assert.Equal(1, _requests);
        Assert.True(_scheduler.ShouldRequestWithWrite(asked: false));
    }

    [Fact]
    [Trait("Spec", "XEP-0198 §4")]
    public void Schedule_RequestAlreadyOut_NoSecondRequestUntilTheAnswerLeavesSomeUnacknowledged()
    {
        Send(2);
        Assert.True(_state.TryBeginAckRequest());  // a request went with a write
        _scheduler.Schedule();
        _time.Advance(Delay);
        Assert.Equal(0, _requests);               // one request out at a time

        Send(1);                                  // written after the request: the answer will not cover it
        _state.OnAcknowledged(2);
        _scheduler.Schedule();                    // what the read loop does with an answer
        _time.Advance(Delay);
        Assert.Equal(1, _requests);
    }

    [Fact]
    [Trait("Spec", "XEP-0198 §4")]
    public void TryBeginWithWrite_CallerWaitsBehindTheRequestsOut_AskedAgainAsSoonAsAnAnswerCame()
    {
        Send(1);
        Assert.True(_scheduler.TryBeginWithWrite(asked: true)); // the first write carries the request
        Send(1);                                                  // a caller waits on this one too
        Assert.True(_scheduler.TryBeginWithWrite(asked: true));  // the first request does not cover it: a second
        Send(1);
        Assert.False(_scheduler.TryBeginWithWrite(asked: true));  // two out at most

        _state.OnAcknowledged(1);
        _scheduler.Schedule();                                    // the read loop, with the first answer

        Assert.Equal(1, _requests);                               // at once, not after the quiet delay
    }

    [Fact]
    [Trait("Spec", "XEP-0198 §4")]
    public void TryBeginWithWrite_NobodyWaitsBehindTheRequestOut_TheRestWaitsForTheQuietDelay()
    {
        Send(1);
        Assert.True(_scheduler.TryBeginWithWrite(asked: true));
        Send(1);
        Assert.False(_scheduler.TryBeginWithWrite(asked: false));

        _state.OnAcknowledged(1);
        _scheduler.Schedule();

        AssertAskedOnlyAfterTheQuietDelay();
    }

    [Fact]
    [Trait("Spec", "XEP-0198 §4")]
    public void TryBeginWithWrite_ARequestWentSince_ItsAnswerWaitsForTheQuietDelayAgain()
    {
        Send(1);
        Assert.True(_scheduler.TryBeginWithWrite(asked: true));
        Send(1);
        Assert.True(_scheduler.TryBeginWithWrite(asked: true));
        Send(1);
        Assert.False(_scheduler.TryBeginWithWrite(asked: true)); // waits behind the two requests out
        _state.OnAcknowledged(1);
        Send(1);
        Assert.True(_scheduler.TryBeginWithWrite(asked: true));  // this request covers the one that waited
        Send(1);
        Assert.False(_scheduler.TryBeginWithWrite(asked: false)); // nobody waits on this one

        _state.OnAcknowledged(2);
        _state.OnAcknowledged(4);
        _scheduler.Schedule();

        AssertAskedOnlyAfterTheQuietDelay();
    }

    [Fact]
    public void Schedule_NothingOutstanding_NeverAsks()
    {
        _scheduler.Schedule();
        _time.Advance(Delay * 2);

        Assert.Equal(0, _requests);
        Assert.False(_scheduler.ShouldRequestWithWrite(asked: false));
        Assert.True(_scheduler.ShouldRequestWithWrite(asked: true));
    }

    [Fact]
    public void Schedule_ZeroDelay_AsksAtOnce()
    {
        var requests = 0;
        using var immediate = new AckRequestScheduler(_state, () => requests++, TimeSpan.Zero, _time);
        Send(1);

        immediate.Schedule();

        Assert.Equal(1, requests);
    }

    private void AssertAskedOnlyAfterTheQuietDelay()
    {
        Assert.Equal(0, _requests);
        _time.Advance(Delay);
        Assert.Equal(1, _requests);
    }

    private void Send(int count)
    {
        for (var i = 0; i < count; i++)
        {
            _ = _state.OnSent(new Message { Id = $"m{i}" });
        }
    }
}
