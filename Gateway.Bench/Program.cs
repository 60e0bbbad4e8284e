using BenchmarkDotNet.Running;
using Gateway.Bench.Load;

namespace Gateway.Bench;

internal static class Program
{
    /// <summary><c>load [options]</c> runs the end-to-end load tool (Load/); anything else goes to BenchmarkDotNet.</summary>
    private static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "load")
        {
            return await LoadCommand.RunAsync(args[1..]);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
