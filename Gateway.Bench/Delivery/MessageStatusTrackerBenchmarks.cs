using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;

namespace Gateway.Bench.Delivery;

/// <summary>
/// A session's message statuses at their default capacity (10,000 tracked): <c>Recall</c> of a status older than
/// everything kept, which is what <c>GET …/messages/{id}</c> of an old message costs (under the lock every send and
/// acknowledgement of the session takes), and a displayed marker (XEP-0333 §3.3) naming the newest message to a
/// contact who has none of the others, which walks the whole order. Baseline: the bookkeeping before
/// (<see cref="LegacyMessageStatusTracker"/>).
/// </summary>
/// <remarks>Public and not sealed: BenchmarkDotNet generates a class that derives from it.</remarks>
[Config(typeof(BenchConfig))]
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class MessageStatusTrackerBenchmarks
{
    private const int Capacity = 10_000;
    private static readonly Jid Bob = Jid.Parse("bob@example.com");
    private static readonly Jid Carol = Jid.Parse("carol@example.com");

    private readonly DateTimeOffset _t0 = DateTimeOffset.UtcNow;
    private LegacyMessageStatusTracker _legacy = null!;
    private MessageStatusTracker _tracker = null!;
    private MessageStatus _old = null!;
    private string _newest = "";

    [GlobalSetup]
    public void Setup()
    {
        _legacy = new LegacyMessageStatusTracker(Capacity);
        _tracker = new MessageStatusTracker(Capacity, TimeProvider.System);
        for (var i = 0; i < Capacity; i++)
        {
            // Everything to Bob but the newest, to Carol: her marker walks all of them and moves one.
            var status = new MessageStatus($"m-{i:D5}", i == Capacity - 1 ? Carol : Bob, DeliveryStatus.Acked, _t0.AddMilliseconds(i), _t0.AddMilliseconds(i));
            _legacy.Track(status);
            _tracker.Recall(status);
        }

        _old = new MessageStatus("before-all", Bob, DeliveryStatus.Acked, _t0.AddHours(-1), _t0.AddHours(-1));
        _newest = $"m-{Capacity - 1:D5}";
        if (_tracker.Get(_newest) is null || _tracker.Recall(_old) != _old || _tracker.Get("before-all") is not null
            || _legacy.Recall(_old) != _old)
        {
            throw new InvalidOperationException("The trackers do not hold what the benchmark expects.");
        }
    }

    [Benchmark(Baseline = true, Description = "Legacy")]
    [BenchmarkCategory("RecallOlderThanAll")]
    public MessageStatus RecallLegacy() => _legacy.Recall(_old);

    [Benchmark(Description = "Now")]
    [BenchmarkCategory("RecallOlderThanAll")]
    public MessageStatus Recall() => _tracker.Recall(_old);

    // Displayed again each time: only the walk is measured (the named message is already displayed after the first).
    [Benchmark(Baseline = true, Description = "Legacy")]
    [BenchmarkCategory("MarkerThroughAll")]
    public int MarkerLegacy() => _legacy.AdvanceThrough(_newest, Carol, DeliveryStatus.Displayed).Count;

    [Benchmark(Description = "Now")]
    [BenchmarkCategory("MarkerThroughAll")]
    public int Marker() => _tracker.AdvanceThrough(_newest, Carol, DeliveryStatus.Displayed).Count;
}
