using Gateway.Api.Cluster.Events;
using Gateway.Tests.Support;

namespace Gateway.Tests.Cluster.Events;

/// <summary>The owner's doorbells to one node: coalesced per session, one call in flight, no call after a failure. No Prosody, no silo.</summary>
public sealed class DoorbellLinkTests
{
    [Fact]
    public async Task Ring_ThousandsOfEventsWhileACallIsInFlight_OneMoreCallWithTheNewestIdPerSession()
    {
        var calls = new List<IReadOnlyList<SessionDoorbell>>();
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var link = RecordingLink(calls, firstCall: first.Task);

        link.Ring("alpha", "s1", 1);
        await Eventually.WaitUntilAsync(() => Count(calls) == 1);

        // While the first call is out, 5,000 events of two sessions only move the waiting ids.
        for (var id = 2; id <= 5_000; id++)
        {
            link.Ring("alpha", "s1", id);
            link.Ring("alpha", "s2", id / 2);
        }

        Assert.Equal(1, Count(calls));
        first.SetResult();
        await Eventually.WaitUntilAsync(() => link.Sending.IsCompleted && Count(calls) == 2);
        await link.Sending;

        Assert.Equal([new SessionDoorbell("alpha", "s1", 1)], calls[0]);
        Assert.Equal(
            [new SessionDoorbell("alpha", "s1", 5_000), new SessionDoorbell("alpha", "s2", 2_500)],
            calls[1].OrderBy(b => b.SessionId, StringComparer.Ordinal));
        Assert.Equal(2, Count(calls));
    }

    [Fact]
    public async Task Ring_OlderIdAfterNewer_KeepsTheNewest()
    {
        var calls = new List<IReadOnlyList<SessionDoorbell>>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var link = RecordingLink(calls, firstCall: gate.Task);

        link.Ring("alpha", "s1", 1);
        await Eventually.WaitUntilAsync(() => Count(calls) == 1);
        link.Ring("alpha", "s1", 9);
        link.Ring("alpha", "s1", 4);
        gate.SetResult();
        await Eventually.WaitUntilAsync(() => Count(calls) == 2 && link.Sending.IsCompleted);

        Assert.Equal([new SessionDoorbell("alpha", "s1", 9)], calls[1]);
    }

    [Fact]
    public async Task Ring_MoreSessionsThanABatch_SplitIntoCallsOfAtMostMaxBatch()
    {
        var calls = new List<IReadOnlyList<SessionDoorbell>>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var link = RecordingLink(calls, firstCall: gate.Task);

        link.Ring("alpha", "first", 1);
        await Eventually.WaitUntilAsync(() => Count(calls) == 1);
        var sessions = DoorbellLink.MaxBatch + 10;
        for (var i = 0; i < sessions; i++)
        {
            link.Ring("alpha", $"s{i}", 7);
        }

        gate.SetResult();
        await Eventually.WaitUntilAsync(() => link.Sending.IsCompleted && Sent(calls) == sessions + 1);

        Assert.All(calls, c => Assert.InRange(c.Count, 1, DoorbellLink.MaxBatch));
        Assert.Equal(sessions, calls.Skip(1).SelectMany(c => c).Select(b => b.SessionId).Distinct().Count());
    }

    [Fact]
    public async Task Ring_CallFails_ReportedOnceAndNoMoreCalls()
    {
        var calls = 0;
        var failures = new List<(int Count, Exception Error)>();
        var link = new DoorbellLink("node-b", _ =>
        {
            Interlocked.Increment(ref calls);
            return Task.FromException(new TimeoutException("node gone"));
        }, (failed, count, ex) =>
        {
            lock (failures)
            {
                failures.Add((count, ex));
            }
        });

        link.Ring("alpha", "s1", 1);
        await Eventually.WaitUntilAsync(() => link.IsFailed && link.Sending.IsCompleted);
        link.Ring("alpha", "s1", 2);
        await link.Sending;

        Assert.Equal(1, Volatile.Read(ref calls));
        var failure = Assert.Single(failures);
        Assert.Equal(1, failure.Count);
        Assert.IsType<TimeoutException>(failure.Error);
    }

    /// <summary>A link whose calls are recorded; the first call completes with <paramref name="firstCall"/>, the others at once.</summary>
    private static DoorbellLink RecordingLink(List<IReadOnlyList<SessionDoorbell>> calls, Task firstCall) =>
        new("node-b", bells =>
        {
            lock (calls)
            {
                calls.Add(bells);
                return calls.Count == 1 ? firstCall : Task.CompletedTask;
            }
        }, (_, _, ex) => Assert.Fail(ex.ToString()));

    private static int Sent(List<IReadOnlyList<SessionDoorbell>> calls)
    {
        lock (calls)
        {
            return calls.Sum(c => c.Count);
        }
    }

    private static int Count(List<IReadOnlyList<SessionDoorbell>> calls)
    {
        lock (calls)
        {
            return calls.Count;
        }
    }
}
