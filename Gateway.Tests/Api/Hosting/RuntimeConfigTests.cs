using System.Text.Json;
using Gateway.Tests.Reliability;

namespace Gateway.Tests.Api.Hosting;

/// <summary>Runtime settings the gateway ships in its runtimeconfig.json (they cannot be set from code once it runs).</summary>
[Trait("Tier", "Unit")]
public sealed class RuntimeConfigTests
{
    [Fact]
    public void ThreadPool_WorkersSleepWithoutSpinning()
    {
        // Beside the gateway process the tests start: the runtimeconfig.json of the build that docs/benchmarks.md measures.
        var path = Path.ChangeExtension(GatewayProcess.GatewayDllPath, ".runtimeconfig.json");
        using var config = JsonDocument.Parse(File.ReadAllText(path));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.Equal(0, properties.GetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit").GetInt32());
    }
}
