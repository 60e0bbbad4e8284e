namespace Gateway.Bench.Load;

/// <summary>How a phase went, apart from what its delivery log says.</summary>
/// <param name="Window">The counted part.</param>
/// <param name="Cpu">CPU used inside the window.</param>
/// <param name="Sender">What the sender saw.</param>
/// <param name="GatewayPeakRssKib">Highest gateway RSS sampled during the phase (0 without a gateway).</param>
/// <param name="GatewayHwmKib">The gateway's VmHWM after the phase (its peak since it started).</param>
/// <param name="ProsodyPeakRssKib">Highest Prosody RSS sampled during the phase.</param>
/// <param name="Drain">How long stragglers were waited for after sending stopped.</param>
/// <param name="Drained">Whether everything accepted arrived before the drain gave up.</param>
internal sealed record PhaseTiming(
    MeasurementWindow Window, CpuUsage Cpu, SenderReport Sender, long GatewayPeakRssKib, long GatewayHwmKib, long ProsodyPeakRssKib, TimeSpan Drain, bool Drained);
