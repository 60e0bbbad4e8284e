using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace Gateway.Bench;

/// <summary>
/// The job used when the command line names none: 3 warmup and 15 measured iterations in one process, so that
/// <c>--filter '*'</c> finishes in about two minutes on a 2-core VM. It also adds the Median column, which a
/// neighbour's CPU burst on a shared VM moves less than the Mean. It is marked as the default job, so BenchmarkDotNet
/// drops it as soon as a job is given on the command line (<c>--job short</c>, <c>--job medium</c>, ...) instead of
/// running both.
/// </summary>
public sealed class BenchConfig : ManualConfig
{
    public BenchConfig()
    {
        AddJob(Job.Default
            .WithWarmupCount(3)
            .WithIterationCount(15)
            .WithLaunchCount(1)
            .WithId("Quick")
            .AsDefault());
        AddColumn(StatisticColumn.Median);
    }
}
