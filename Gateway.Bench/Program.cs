using BenchmarkDotNet.Running;
using Gateway.Bench.HubFanout;
using Gateway.Bench.Load;

namespace Gateway.Bench;

internal static class Program
{
    /// <summary>
    /// <c>load [options]</c> runs the end-to-end load tool (Load/), <c>hub-fanout [options]</c> the in-process hub
    /// fan-out measurement (HubFanout/); anything else goes to BenchmarkDotNet.
    /// </summary>
    private static async Task<int> Main(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case "load":
                return await LoadCommand.RunAsync(args[1..]);
            case "hub-fanout":
                return await HubFanoutBench.RunAsync(args[1..]);
            case "login-cost":
                return await LoginCost.LoginCostBench.RunAsync(args[1..]);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
