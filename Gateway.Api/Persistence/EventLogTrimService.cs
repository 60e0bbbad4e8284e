using Gateway.Xmpp.Pool.Persistence;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Persistence;

/// <summary>
/// Applies the event retention (<see cref="GatewayStorageOptions.EventRetentionCount"/>,
/// <see cref="GatewayStorageOptions.EventRetentionAge"/>, <see cref="GatewayStorageOptions.EventRetentionBytes"/>) at start-up and then every
/// <see cref="GatewayStorageOptions.TrimInterval"/>. A failed trim is logged (5521) and tried again next time.
/// </summary>
internal sealed class EventLogTrimService(
    IEventLog eventLog,
    IOptions<GatewayStorageOptions> options,
    ILogger<EventLogTrimService> logger,
    TimeProvider? timeProvider = null) : BackgroundService
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly GatewayStorageOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.TrimInterval, _time);
        try
        {
            do
            {
                await TrimOnceAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task TrimOnceAsync(CancellationToken stoppingToken)
    {
        try
        {
            await eventLog.TrimAsync(_options.EventRetentionCount, _time.GetUtcNow() - _options.EventRetentionAge, stoppingToken);
            await eventLog.TrimToBytesAsync(_options.EventRetentionBytes, stoppingToken);
        }
#pragma warning disable CA1031 // Whatever failed, the next interval tries again; the gateway keeps serving.
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
#pragma warning restore CA1031
        {
            PersistenceLog.TrimFailed(logger, _options.TrimInterval, ex);
        }
    }
}
