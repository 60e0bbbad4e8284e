namespace Gateway.Bench.Load;

/// <summary>The <c>load</c> subcommand: parses the options and runs the load tool; Ctrl+C stops it cleanly.</summary>
internal static class LoadCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.Out.WriteLine(LoadOptions.Usage);
            return 0;
        }

        LoadOptions options;
        try
        {
            options = LoadOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message + "\n\n" + LoadOptions.Usage);
            return 2;
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        try
        {
            return await new LoadRunner(options).RunAsync(cancel.Token);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("Cancelled.");
            return 130;
        }
    }
}
