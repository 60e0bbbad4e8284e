using System.Threading.Channels;
using Gateway.Api.Persistence;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static Gateway.Tests.Persistence.PersistenceTestKit;

namespace Gateway.Tests.Persistence;

[Trait("Tier", "Unit")]
public sealed class EventLogTrimServiceTests
{
    private static readonly GatewayStorageOptions Options = new()
    {
        EventRetentionCount = 123,
        EventRetentionAge = TimeSpan.FromHours(2),
        TrimInterval = TimeSpan.FromMinutes(5),
        EventRetentionBytes = 456_789,
    };

    [Fact]
    public async Task ExecuteAsync_TrimsAtStartAndEveryInterval_WithConfiguredRetention()
    {
        var time = new FakeTimeProvider(T0);
        var log = new RecordingEventLog();
        using var service = new EventLogTrimService(log, Microsoft.Extensions.Options.Options.Create(Options), new FakeLogger<EventLogTrimService>(), time);

        await service.StartAsync(Token);
        var first = await log.Calls.Reader.ReadAsync(Token);
        time.Advance(Options.TrimInterval);
        var second = await log.Calls.Reader.ReadAsync(Token);
        await service.StopAsync(Token);

        Assert.Equal((123, T0 - TimeSpan.FromHours(2)), first);
        Assert.Equal((123, T0 + TimeSpan.FromMinutes(5) - TimeSpan.FromHours(2)), second);
    }

    [Fact]
    public async Task ExecuteAsync_EachInterval_AlsoTrimsToConfiguredBytes()
    {
        var time = new FakeTimeProvider(T0);
        var log = new RecordingEventLog();
        using var service = new EventLogTrimService(log, Microsoft.Extensions.Options.Options.Create(Options), new FakeLogger<EventLogTrimService>(), time);

        await service.StartAsync(Token);
        var first = await log.ByteCalls.Reader.ReadAsync(Token);
        time.Advance(Options.TrimInterval);
        var second = await log.ByteCalls.Reader.ReadAsync(Token);
        await service.StopAsync(Token);

        Assert.Equal((456_789L, 456_789L), (first, second));
    }

    [Fact]
    public async Task ExecuteAsync_TrimFails_LoggedAndTriedAgainNextInterval()
    {
        var time = new FakeTimeProvider(T0);
        var log = new RecordingEventLog { FailuresLeft = 1 };
        var logger = new FakeLogger<EventLogTrimService>();
        using var service = new EventLogTrimService(log, Microsoft.Extensions.Options.Options.Create(Options), logger, time);

        await service.StartAsync(Token);
        await log.Calls.Reader.ReadAsync(Token);
        time.Advance(Options.TrimInterval);
        await log.Calls.Reader.ReadAsync(Token);
        await service.StopAsync(Token);

        var failure = Assert.Single(logger.Collector.GetSnapshot(), r => r.Id.Id == 5521);
        Assert.Equal(LogLevel.Error, failure.Level);
        Assert.Contains("Gateway:Storage:TrimInterval", failure.Message, StringComparison.Ordinal);
    }

    private sealed class RecordingEventLog : IEventLog
    {
        public Channel<(int Max, DateTimeOffset OlderThan)> Calls { get; } = Channel.CreateUnbounded<(int, DateTimeOffset)>();

        public Channel<long> ByteCalls { get; } = Channel.CreateUnbounded<long>();

        public int FailuresLeft { get; set; }

        public Task TrimToBytesAsync(long maxBytesPerSession, CancellationToken cancellationToken = default)
        {
            ByteCalls.Writer.TryWrite(maxBytesPerSession);
            return Task.CompletedTask;
        }

        public Task TrimAsync(int maxEventsPerSession, DateTimeOffset olderThan, CancellationToken cancellationToken = default)
        {
            Calls.Writer.TryWrite((maxEventsPerSession, olderThan));
            return FailuresLeft-- > 0 ? Task.FromException(new IOException("disk I/O error")) : Task.CompletedTask;
        }

        public Task<EventPage> ReadAsync(string tenant, string sessionId, long afterEventId, int limit, long maxBytes, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<JournalHead> GetHeadAsync(string tenant, string sessionId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<MessageStatus?> FindMessageStatusAsync(string tenant, string sessionId, string messageId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<bool> HasReceivedMessageAsync(string tenant, string sessionId, string archiveId, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
