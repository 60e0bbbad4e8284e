namespace Gateway.Bench.Load;

/// <summary>
/// The figures the issue that asked for this tool quoted from the same kind of machine, printed beside each row for
/// orientation only: they come from another run on another day, so only ratios within one run compare.
/// </summary>
internal static class Baselines
{
    public const double RawC2s = 23_416;

    public const int ScaleSessions = 10_000;
    public const double ScaleSecondsToOnline = 70;
    public const double ScaleRssMegabytes = 726;
    public const double ScaleIdlePercentOfCore = 5;

    /// <summary>Delivered messages per second for a scenario and concurrency, or null when the issue quoted none.</summary>
    public static double? DeliveredPerSecond(string scenario, int? concurrency) => (scenario, concurrency) switch
    {
        (RawC2sScenario.Name, _) => RawC2s,
        (ModRestScenario.Name, 1) => 2_732,
        (ModRestScenario.Name, 16) => 4_174,
        (ModRestScenario.Name, 64) => 4_503,
        (GatewayRestScenario.QueuedName, 1) => 1_967,
        (GatewayRestScenario.QueuedName, 16) => 4_920,
        (GatewayRestScenario.QueuedName, 64) => 5_672,
        (GatewayRestScenario.WaitName, 1) => 1_219,
        (GatewayRestScenario.WaitName, 16) => 3_561,
        (GatewayRestScenario.WaitName, 64) => 3_714,
        _ => null,
    };
}
