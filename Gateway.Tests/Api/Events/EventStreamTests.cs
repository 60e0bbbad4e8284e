using System.Diagnostics.Metrics;
using Gateway.Api.Events;
using Gateway.Api.Telemetry;
using Gateway.Tests.Api.Fakes;
using Gateway.Tests.Api.Hubs;
using Gateway.Tests.Support;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using EventBuilder = Gateway.Tests.Api.Hubs.Events;

namespace Gateway.Tests.Api.Events;

/// <summary>
/// <c>GET …/sessions/{id}/events</c> against a pool whose events and log the test writes (<see cref="FakeEventPool"/>),
/// followed with a plain <see cref="HttpClient"/>. The stream's own clock is a <see cref="FakeTimeProvider"/>.
/// </summary>
[Trait("Tier", "Api")]
public sealed class EventStreamTests : IAsyncDisposable
{
    private const string Tenant = GatewayApiFactory.AlphaTenant;
    private const string Session = "s1";
    private const string Url = "/api/v1/sessions/s1/events";

    private readonly FakeEventPool _pool = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly GatewayApiFactory _app;
    private readonly List<SseTestClient> _streams = [];
    private volatile bool _removed;
    private long _lastEventId;

    public EventStreamTests()
    {
        _pool.OnFind = (tenant, id) => tenant == Tenant && id == Session && !_removed
            ? new FakeSession(new SessionInfo(Session, Tenant, Jid.Parse("bot@example.com"), SessionState.Online, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch)
            {
                LastEventId = Interlocked.Read(ref _lastEventId),
            })
            : null;
        _app = new GatewayApiFactory { Pool = _pool, ConfigureServices = services => services.AddSingleton<TimeProvider>(_time) };
        _app.Settings["Gateway:EventStreams:HeartbeatInterval"] = "00:00:15";
    }

    private EventStreamRegistry Registry => _app.Services.GetRequiredService<EventStreamRegistry>();

    public async ValueTask DisposeAsync()
    {
        foreach (var stream in _streams)
        {
            await stream.DisposeAsync();
        }

        await _app.DisposeAsync();
        _app.Logs.AssertNoErrors();
    }

    /// <summary>Journals and hands out a message event, as the pool does.</summary>
    private void Publish(long id)
    {
        Interlocked.Exchange(ref _lastEventId, id);
        _pool.Publish(EventBuilder.Message(Tenant, Session, id, $"body-{id}"));
    }

    private async Task<SseTestClient> OpenAsync(HttpClient client, string url = Url, string? lastEventId = null)
    {
        var (response, stream) = await SseTestClient.OpenAsync(client, url, lastEventId);
        if (stream is null)
        {
            Assert.Fail($"Expected a stream, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
        }

        _streams.Add(stream);

        // The retry hint comes first, once.
        var first = await stream.NextItemAsync();
        Assert.Equal("3000", first.Retry);
        return stream;
    }

    /// <summary>Waits until the stream is registered and live: an event published now is delivered.</summary>
    private Task WaitOpenAsync(int count = 1) => Eventually.WaitUntilAsync(() => Registry.Count == count);

    [Fact]
    public async Task OpenStreams_CountedOnTheApiMeterWhenCollected()
    {
        using var client = _app.CreateAlphaClient();
        using var streams = new MetricCollector<int>(_app.Services.GetRequiredService<IMeterFactory>(), GatewayApiMetrics.MeterName, "gateway.api.event_streams");

        var stream = await OpenAsync(client);
        await WaitOpenAsync();
        Assert.Equal(1, Observe());

        await stream.DisposeAsync();
        await Eventually.WaitUntilAsync(() => Observe() == 0);

        int Observe()
        {
            streams.RecordObservableInstruments();
            return streams.LastMeasurement?.Value ?? -1;
        }
    }

    [Fact]
    public async Task Stream_DropAndResumeWithLastEventId_MissedThenLiveEachOnce()
    {
        using var client = _app.CreateAlphaClient();
        for (var id = 1; id <= 3; id++)
        {
            Publish(id);
        }

        var stream = await OpenAsync(client, Url + "?after=0");
        Assert.Equal([1L, 2L, 3L], await stream.NextIdsAsync(3));
        Publish(4);
        Publish(5);
        var fifth = (await stream.NextIdsAsync(2)).Last();
        Assert.Equal(5, fifth);

        // Dropped: what arrives meanwhile is only in the log.
        await stream.DisposeAsync();
        await Eventually.WaitUntilAsync(() => Registry.Count == 0);
        Publish(6);
        Publish(7);

        // The header wins over the URL's ?after= (an EventSource keeps its URL when it reconnects).
        var resumed = await OpenAsync(client, Url + "?after=0", lastEventId: fifth.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal([6L, 7L], await resumed.NextIdsAsync(2));
        Publish(8);
        Publish(9);
        Assert.Equal([8L, 9L], await resumed.NextIdsAsync(2));
        Assert.Equal([6L, 7L, 8L, 9L], resumed.Seen.Where(i => i.Id is not null).Select(i => i.EventId));
    }

    [Fact]
    public async Task Stream_Event_HasIdKindAndTheHubsEnvelopeOnOneDataLine()
    {
        using var client = _app.CreateAlphaClient();
        var stream = await OpenAsync(client);
        await WaitOpenAsync();
        Publish(1);

        var e = await stream.NextEventAsync();
        Assert.Equal("1", e.Id);
        Assert.Equal("message", e.Event);
        Assert.DoesNotContain('\n', e.Data!);
        var envelope = e.Json;
        Assert.Equal(1, envelope.GetProperty("eventId").GetInt64());
        Assert.Equal(Session, envelope.GetProperty("sessionId").GetString());
        Assert.Equal("message", envelope.GetProperty("kind").GetString());
        Assert.Equal("body-1", envelope.GetProperty("data").GetProperty("body").GetString());
        Assert.Equal("m-1", envelope.GetProperty("data").GetProperty("id").GetString());
    }

    [Fact]
    public async Task Stream_WithoutLastEventId_StartsFromNow()
    {
        using var client = _app.CreateAlphaClient();
        for (var id = 1; id <= 3; id++)
        {
            Publish(id);
        }

        var stream = await OpenAsync(client);
        await WaitOpenAsync();
        Publish(4);

        Assert.Equal(4, (await stream.NextEventAsync()).EventId);
    }

    [Fact]
    public async Task Stream_LiveEventsSkipIds_ReadsTheMissedOnesFromTheLog()
    {
        using var client = _app.CreateAlphaClient();
        var stream = await OpenAsync(client, Url + "?after=0");
        await WaitOpenAsync();
        Publish(1);
        Assert.Equal(1, (await stream.NextEventAsync()).EventId);

        // As if the pool's buffer dropped 2 and 3: journaled, never handed out.
        _pool.Journal(EventBuilder.Message(Tenant, Session, 2));
        _pool.Journal(EventBuilder.Message(Tenant, Session, 3));
        Publish(4);
        Publish(5);

        Assert.Equal([2L, 3L, 4L, 5L], await stream.NextIdsAsync(4));
    }

    [Fact]
    public async Task Stream_FromAnIdRetentionDropped_Answers409ReplayGapBeforeStreaming()
    {
        using var client = _app.CreateAlphaClient();
        for (var id = 1; id <= 5; id++)
        {
            Publish(id);
        }

        _pool.OldestKept = 4;

        var (response, stream) = await SseTestClient.OpenAsync(client, Url, lastEventId: "1");

        Assert.Null(stream);
        var problem = await response.ProblemAsync(409, "replay-gap");
        Assert.Equal(4, problem.GetProperty("oldestAvailableEventId").GetInt64());
        Assert.Equal(0, Registry.Count);
    }

    [Fact]
    public async Task Stream_RetentionDropsEventsWhileReplaying_EndsWithReplayGap()
    {
        // Pages of two: the endpoint reads the first; before the stream reads the next, retention drops 3 to 5.
        _app.Settings["Gateway:EventStreams:QueueEvents"] = "2";
        using var client = _app.CreateAlphaClient();
        for (var id = 1; id <= 3; id++)
        {
            Publish(id);
        }

        var reads = 0;
        _pool.OnReadHistory = () =>
        {
            if (Interlocked.Increment(ref reads) == 2)
            {
                Publish(4);
                Publish(5);
                Publish(6);
                _pool.OldestKept = 6;
            }

            return Task.CompletedTask;
        };

        var stream = await OpenAsync(client, Url + "?after=0");
        Assert.Equal([1L, 2L], await stream.NextIdsAsync(2));
        var ended = await stream.NextEventAsync();

        Assert.Equal("subscription-ended", ended.Event);
        Assert.Null(ended.Id);
        Assert.Equal("replay-gap", ended.Json.GetProperty("reason").GetString());
        Assert.Equal(2, ended.Json.GetProperty("lastEventId").GetInt64());
        await stream.WaitCompletedAsync();
    }

    [Fact]
    public async Task Stream_FallsBehind_EndsWithSlowConsumerAndResumes()
    {
        _app.Settings["Gateway:EventStreams:QueueEvents"] = "2";
        using var client = _app.CreateAlphaClient();
        using var release = new SemaphoreSlim(0);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reads = 0;

        // The stream's second log read is the one after it turned live: hold it there, so that live events pile up
        // in its queue as they do behind a client that does not read.
        _pool.OnReadHistory = async () =>
        {
            if (Interlocked.Increment(ref reads) == 2)
            {
                entered.TrySetResult();
                await release.WaitAsync(TestContext.Current.CancellationToken);
            }
        };

        var stream = await OpenAsync(client, Url + "?after=0");
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        for (var id = 1; id <= 3; id++)
        {
            Publish(id);
        }

        await Eventually.WaitUntilAsync(() => _app.Logs.Entries.Any(l => l.EventId.Id == 6104));
        release.Release();

        var ended = await stream.NextEventAsync();
        Assert.Equal("subscription-ended", ended.Event);
        Assert.Equal("slow-consumer", ended.Json.GetProperty("reason").GetString());
        Assert.Equal(0, ended.Json.GetProperty("lastEventId").GetInt64());
        Assert.Equal(Session, ended.Json.GetProperty("sessionId").GetString());
        await stream.WaitCompletedAsync();

        // Nothing is lost: the log has it all.
        var resumed = await OpenAsync(client, Url, lastEventId: "0");
        Assert.Equal([1L, 2L, 3L], await resumed.NextIdsAsync(3));
    }

    [Fact]
    public async Task Stream_OtherTenantsSession_Answers404()
    {
        using var beta = _app.CreateBetaClient();

        var (response, stream) = await SseTestClient.OpenAsync(beta, Url);

        Assert.Null(stream);
        await response.ProblemAsync(404, "session-not-found");
    }

    [Fact]
    public async Task Stream_WithoutApiKey_Answers401()
    {
        using var anonymous = _app.CreateClient(apiKey: null);

        var (response, stream) = await SseTestClient.OpenAsync(anonymous, Url);

        Assert.Null(stream);
        await response.ProblemAsync(401);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("1.5")]
    public async Task Stream_MalformedLastEventId_Answers400(string lastEventId)
    {
        using var client = _app.CreateAlphaClient();

        var (response, stream) = await SseTestClient.OpenAsync(client, Url, lastEventId);

        Assert.Null(stream);
        var problem = await response.ProblemAsync(400, "validation-failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty("Last-Event-ID", out _));
    }

    [Fact]
    public async Task Stream_BeyondTheTenantsLimit_Answers429()
    {
        _app.Settings["Gateway:EventStreams:MaxStreamsPerTenant"] = "1";
        using var client = _app.CreateAlphaClient();
        await OpenAsync(client);

        var (response, stream) = await SseTestClient.OpenAsync(client, Url);

        Assert.Null(stream);
        await response.ProblemAsync(429, "stream-limit-reached");
    }

    [Fact]
    public async Task Stream_SessionRemoved_EndsWithSessionRemoved()
    {
        using var client = _app.CreateAlphaClient();
        var stream = await OpenAsync(client);
        await WaitOpenAsync();

        // As the pool removes a session: gone from Find, then its stopped state is published.
        _removed = true;
        Interlocked.Exchange(ref _lastEventId, 1);
        _pool.Publish(EventBuilder.State(Tenant, Session, 1, SessionState.Stopped));

        var state = await stream.NextEventAsync();
        Assert.Equal("session-state", state.Event);
        Assert.Equal("stopped", state.Json.GetProperty("data").GetProperty("state").GetString());
        var ended = await stream.NextEventAsync();
        Assert.Equal("subscription-ended", ended.Event);
        Assert.Equal("session-removed", ended.Json.GetProperty("reason").GetString());
        Assert.Equal(1, ended.Json.GetProperty("lastEventId").GetInt64());
        await stream.WaitCompletedAsync();
    }

    [Fact]
    public async Task Stream_Idle_GetsKeepAliveComments()
    {
        using var client = _app.CreateAlphaClient();
        var stream = await OpenAsync(client);
        await WaitOpenAsync();

        // The heartbeat timer may not be set yet when the clock first moves: move it until the comment comes.
        var next = stream.NextItemAsync();
        await Eventually.WaitUntilAsync(() =>
        {
            _time.Advance(TimeSpan.FromSeconds(15));
            return next.IsCompleted;
        });

        Assert.Equal("keep-alive", (await next).Comment);
        Publish(1);
        Assert.Equal(1, (await stream.NextEventAsync()).EventId);
    }

    [Fact]
    public async Task Stream_SessionRemovedWithoutAnEvent_EndsAtTheNextHeartbeat()
    {
        using var client = _app.CreateAlphaClient();
        var stream = await OpenAsync(client);
        await WaitOpenAsync();
        _removed = true;

        var ended = stream.NextEventAsync();
        await Eventually.WaitUntilAsync(() =>
        {
            _time.Advance(TimeSpan.FromSeconds(15));
            return ended.IsCompleted;
        });

        Assert.Equal("session-removed", (await ended).Json.GetProperty("reason").GetString());
        await stream.WaitCompletedAsync();
    }

    [Fact]
    public async Task Stream_KeyRevoked_EndsWithKeyRevoked()
    {
        using var client = _app.CreateAlphaClient();
        var stream = await OpenAsync(client);
        await WaitOpenAsync();

        Registry.OnKeysRevoked(new HashSet<string> { GatewayApiFactory.Sha256Hex(GatewayApiFactory.AlphaKey) });

        var ended = await stream.NextEventAsync();
        Assert.Equal("key-revoked", ended.Json.GetProperty("reason").GetString());
        await stream.WaitCompletedAsync();
    }

    [Fact]
    public async Task Stream_OtherKeyRevoked_GoesOn()
    {
        using var client = _app.CreateAlphaClient();
        var stream = await OpenAsync(client);
        await WaitOpenAsync();

        Registry.OnKeysRevoked(new HashSet<string> { GatewayApiFactory.Sha256Hex(GatewayApiFactory.BetaKey) });
        Publish(1);

        Assert.Equal(1, (await stream.NextEventAsync()).EventId);
    }

    [Fact]
    public async Task Stream_GatewayStops_EndsWithShuttingDown()
    {
        using var client = _app.CreateAlphaClient();
        var stream = await OpenAsync(client);
        await WaitOpenAsync();

        _app.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

        var ended = await stream.NextEventAsync();
        Assert.Equal("shutting-down", ended.Json.GetProperty("reason").GetString());
        await stream.WaitCompletedAsync();
    }
}
