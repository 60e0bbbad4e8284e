using System.Text.Json;
using Gateway.Tests.Reliability;

namespace Gateway.Tests.Api.Hosting;

/// <summary>Runtime settings the gateway ships in its runtimeconfig.json (they cannot be set from code once it runs).</summary>
[Trait("Tier", "Unit")]
public sealed class RuntimeConfigTests
{
    [Fact]
    public void ThreadPool_WorkersSleepWithoutSpinning() =>
        Assert.Equal(0, Properties().GetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit").GetInt32());

    [Fact]
    public void GarbageCollector_WorkstationAndConcurrent()
    {
        var properties = Properties();

        Assert.False(properties.GetProperty("System.GC.Server").GetBoolean());
        Assert.True(properties.GetProperty("System.GC.Concurrent").GetBoolean());
    }

    /// <summary>The configProperties of the runtimeconfig.json beside the gateway the tests start (the build docs/benchmarks.md measures).</summary>
    private static JsonElement Properties()
    {
        var path = Path.ChangeExtension(GatewayProcess.GatewayDllPath, ".runtimeconfig.json");
        using var config = JsonDocument.Parse(File.ReadAllText(path));
        return config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").Clone();
    }
}
