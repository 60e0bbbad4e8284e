namespace Gateway.Bench.Load;

/// <summary>The session scale scenario's figures.</summary>
/// <param name="Requested">Sessions asked for.</param>
/// <param name="Created">Creates answered 201 (the session is online when the gateway answers).</param>
/// <param name="Failures">Failed creates by status and problem, e.g. <c>502 xmpp-connection-failed</c>.</param>
/// <param name="TimeToOnline">From the first create to the last answer.</param>
/// <param name="States">The gateway's sessions by state after the creates (GET /api/v1/sessions).</param>
/// <param name="CreateLatency">Time to each create's answer.</param>
/// <param name="CreateCpu">CPU used while creating.</param>
/// <param name="IdleCpu">CPU used over the idle period that followed.</param>
/// <param name="GatewayRssAfterKib">Gateway VmRSS right after the creates.</param>
/// <param name="GatewayRssAfterIdleKib">Gateway VmRSS after the idle period.</param>
/// <param name="GatewayHwmKib">Gateway VmHWM at the end.</param>
/// <param name="ProsodyRssKib">Prosody VmRSS after the idle period.</param>
/// <param name="FileLimit">The open-files limit the gateway and Prosody inherited.</param>
internal sealed record ScaleResult(
    int Requested,
    int Created,
    IReadOnlyDictionary<string, int> Failures,
    TimeSpan TimeToOnline,
    IReadOnlyDictionary<string, int> States,
    LatencyHistogram CreateLatency,
    CpuUsage CreateCpu,
    CpuUsage? IdleCpu,
    long GatewayRssAfterKib,
    long GatewayRssAfterIdleKib,
    long GatewayHwmKib,
    long ProsodyRssKib,
    long FileLimit);
