using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using Gateway.Api.Hubs;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Bench.HubFanout;

/// <summary>
/// Fan-out of one session's events to many hub subscribers, in process: the real <see cref="SessionEventDispatcher"/>
/// (wired by <c>AddGatewayHub()</c>, with its real <see cref="HubLifetimeManager{THub}"/>) writes to real
/// <see cref="HubConnectionContext"/>s whose transports are in-memory pipes, each drained by a reader that only finds
/// message boundaries. No sockets, no WebSocket framing, no logging: what is left is the gateway's own cost per delivery
/// (mapping, serialising, queueing, writing to the connection's pipe) plus a small constant for the readers.
/// </summary>
/// <remarks>
/// Two phases, each after a warm-up: <b>paced</b> publishes one event and waits until the last subscriber has it before
/// the next (the fan-out latency of one event: time from publish to the last subscriber), and <b>burst</b> publishes
/// many at once and waits for all (throughput). CPU per delivery is the process's CPU time (user + system, every
/// thread) over the phase divided by events × subscribers.
/// <code>RunAsync(["--subscribers", "1000", "--events", "200", "--burst", "200", "--body-chars", "256"])</code>
/// </remarks>
public static class HubFanoutBench
{
    private const string Tenant = "bench";
    private const string Session = "s1";

    /// <summary>Runs the measurement and prints the results; 0 on success, 1 on bad arguments.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (!Settings.TryParse(args, out var settings, out var error))
        {
            await Console.Error.WriteLineAsync($"hub-fanout: {error}\nusage: --subscribers N --events N --burst N --body-chars N --warmup N");
            return 1;
        }

        var pool = new BenchEventPool();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddLogging();
        services.AddSingleton<ISessionPool>(pool);
        services.AddGatewayHub();
        await using var provider = services.BuildServiceProvider();
        var dispatcher = provider.GetRequiredService<SessionEventDispatcher>();
        var lifetime = provider.GetRequiredService<HubLifetimeManager<GatewayHub>>();
        var protocol = provider.GetServices<IHubProtocol>().First(p => p.Name == "json");
        using var stop = new CancellationTokenSource();
        await dispatcher.StartAsync(stop.Token);

        var tracker = new ArrivalTracker(settings.Subscribers, capacity: settings.Warmup + settings.Events + settings.Burst);
        var connections = new List<BenchConnection>();
        for (var i = 0; i < settings.Subscribers; i++)
        {
            var connection = new BenchConnection($"c{i}", protocol, tracker);
            connections.Add(connection);
            await lifetime.OnConnectedAsync(connection.Context);
            await dispatcher.SubscribeAsync(Tenant, Session, connection.Id, afterEventId: 0, fromNow: true, stop.Token);
        }

        long nextId = 1;
        Console.WriteLine($"hub-fanout: {settings.Subscribers} subscribers of one session, message bodies of {settings.BodyChars} chars, {Environment.ProcessorCount} cores");

        // Warm-up: JIT, pools, and every subscription live.
        for (var i = 0; i < settings.Warmup; i++)
        {
            await PublishAndWaitAsync(pool, tracker, nextId++, settings.BodyChars);
        }

        var paced = await MeasureAsync(settings.Events * settings.Subscribers, async () =>
        {
            var latencies = new double[settings.Events];
            for (var i = 0; i < settings.Events; i++)
            {
                latencies[i] = await PublishAndWaitAsync(pool, tracker, nextId++, settings.BodyChars);
            }

            return latencies;
        });
        Array.Sort(paced.Latencies);
        Console.WriteLine(
            $"paced: {settings.Events} events, publish → last subscriber p50 {Percentile(paced.Latencies, 0.50):F2} ms, " +
            $"p99 {Percentile(paced.Latencies, 0.99):F2} ms, max {paced.Latencies[^1]:F2} ms; " +
            $"CPU {paced.CpuMicrosPerDelivery:F2} µs and {paced.BytesPerDelivery:F0} B allocated per delivery");

        var burst = await MeasureAsync(settings.Burst * settings.Subscribers, async () =>
        {
            for (var i = 0; i < settings.Burst; i++)
            {
                tracker.Expect(nextId);
                pool.Publish(Message(nextId++, settings.BodyChars));
            }

            await tracker.WaitAsync(nextId - 1);
            return [];
        });
        var seconds = burst.Elapsed.TotalSeconds;
        Console.WriteLine(
            $"burst: {settings.Burst} events at once, all delivered in {burst.Elapsed.TotalMilliseconds:F0} ms " +
            $"({settings.Burst * (long)settings.Subscribers / seconds:F0} deliveries/s); " +
            $"CPU {burst.CpuMicrosPerDelivery:F2} µs and {burst.BytesPerDelivery:F0} B allocated per delivery");

        await stop.CancelAsync();
        await dispatcher.StopAsync(CancellationToken.None);
        foreach (var connection in connections)
        {
            await lifetime.OnDisconnectedAsync(connection.Context);
            await connection.DisposeAsync();
        }

        return 0;
    }

    private static async Task<double> PublishAndWaitAsync(BenchEventPool pool, ArrivalTracker tracker, long eventId, int bodyChars)
    {
        tracker.Expect(eventId);
        var started = Stopwatch.GetTimestamp();
        pool.Publish(Message(eventId, bodyChars));
        await tracker.WaitAsync(eventId);
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    private static async Task<Measurement> MeasureAsync(long deliveries, Func<Task<double[]>> run)
    {
        var process = Process.GetCurrentProcess();
        GC.Collect();
        process.Refresh();
        var cpuBefore = process.TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var started = Stopwatch.GetTimestamp();
        var latencies = await run();
        var elapsed = Stopwatch.GetElapsedTime(started);
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        return new(latencies, elapsed, cpu.TotalMicroseconds / deliveries, (double)allocated / deliveries);
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static MessageReceived Message(long eventId, int bodyChars) => new(
        Tenant,
        Session,
        eventId,
        DateTimeOffset.UtcNow,
        new Message
        {
            From = Jid.Parse("romeo@montague.lit/orchard"),
            To = Jid.Parse("juliet@capulet.lit/balcony"),
            Type = MessageType.Chat,
            Id = $"m-{eventId}",
            Body = new string('x', bodyChars),
        });

    private sealed record Measurement(double[] Latencies, TimeSpan Elapsed, double CpuMicrosPerDelivery, double BytesPerDelivery);

    private sealed record Settings(int Subscribers, int Events, int Burst, int BodyChars, int Warmup)
    {
        public static bool TryParse(string[] args, out Settings settings, out string? error)
        {
            settings = new(Subscribers: 1000, Events: 200, Burst: 200, BodyChars: 256, Warmup: 20);
            error = null;
            for (var i = 0; i < args.Length; i += 2)
            {
                if (i + 1 >= args.Length || !int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1)
                {
                    error = $"{args[i]} needs a positive whole number";
                    return false;
                }

                switch (args[i])
                {
                    case "--subscribers": settings = settings with { Subscribers = value }; break;
                    case "--events": settings = settings with { Events = value }; break;
                    case "--burst": settings = settings with { Burst = value }; break;
                    case "--body-chars": settings = settings with { BodyChars = value }; break;
                    case "--warmup": settings = settings with { Warmup = value }; break;
                    default: error = $"unknown argument {args[i]}"; return false;
                }
            }

            return true;
        }
    }

    /// <summary>
    /// Counts, per event id, the subscribers still waiting for it; completes the event's task when none is. Lock-free, so
    /// that a thousand readers do not queue on the measurement itself.
    /// </summary>
    private sealed class ArrivalTracker(int subscribers, long capacity)
    {
        private readonly int[] _remaining = new int[capacity + 1];
        private readonly TaskCompletionSource?[] _done = new TaskCompletionSource?[capacity + 1];

        public void Expect(long eventId)
        {
            _done[eventId] = new(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _remaining[eventId], subscribers);
        }

        /// <summary>One subscriber received the event.</summary>
        public void Arrived(long eventId)
        {
            if (eventId < _remaining.Length && Interlocked.Decrement(ref _remaining[eventId]) == 0)
            {
                Volatile.Read(ref _done[eventId])!.TrySetResult();
            }
        }

        public Task WaitAsync(long eventId) => _done[eventId]!.Task.WaitAsync(TimeSpan.FromMinutes(2));
    }

    /// <summary>
    /// One hub connection with an in-memory transport. Its reader counts messages (JSON protocol: each ends with 0x1E),
    /// and since every subscriber gets every event from the first after it subscribed, in order, the n-th message is the
    /// n-th event id after the first one it saw, which it reads from the first message only.
    /// </summary>
    private sealed class BenchConnection : IAsyncDisposable
    {
        private const byte RecordSeparator = 0x1E;
        private static readonly byte[] EventIdField = "\"eventId\":"u8.ToArray();

        // Its own buffers, reused, as Kestrel's transports have: with ArrayPool.Shared behind a thousand pipes that each
        // take and give back a buffer per event, most rentals would allocate, and that is the harness, not the gateway.
        private readonly Pipe _toClient = new(new PipeOptions(pool: new ReusingMemoryPool()));
        private readonly Pipe _toServer = new();
        private readonly Task _reader;

        public BenchConnection(string id, IHubProtocol protocol, ArrivalTracker tracker)
        {
            Id = id;
            var transport = new DuplexPipe(_toServer.Reader, _toClient.Writer);
            var application = new DuplexPipe(_toClient.Reader, _toServer.Writer);
            Context = new HubConnectionContext(
                new DefaultConnectionContext(id, transport, application),
                new HubConnectionContextOptions { KeepAliveInterval = TimeSpan.FromMinutes(5), ClientTimeoutInterval = TimeSpan.FromMinutes(5), MaximumParallelInvocations = 1 },
                NullLoggerFactory.Instance)
            {
                Protocol = protocol,
            };
            _reader = Task.Run(() => ReadAsync(tracker));
        }

        public string Id { get; }

        public HubConnectionContext Context { get; }

        private async Task ReadAsync(ArrivalTracker tracker)
        {
            long next = 0;
            while (true)
            {
                var result = await _toClient.Reader.ReadAsync();
                var buffer = result.Buffer;
                while (buffer.PositionOf(RecordSeparator) is { } end)
                {
                    var message = buffer.Slice(0, end);
                    if (next == 0)
                    {
                        next = FirstEventId(message.ToArray());
                    }

                    tracker.Arrived(next++);
                    buffer = buffer.Slice(buffer.GetPosition(1, end));
                }

                _toClient.Reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }

        private static long FirstEventId(ReadOnlySpan<byte> message)
        {
            var at = message.IndexOf(EventIdField) + EventIdField.Length;
            var length = message[at..].IndexOfAnyExceptInRange((byte)'0', (byte)'9');
            return long.Parse(message.Slice(at, length), CultureInfo.InvariantCulture);
        }

        public async ValueTask DisposeAsync()
        {
            await _toClient.Writer.CompleteAsync();
            await _reader;
            await _toClient.Reader.CompleteAsync();
            await _toServer.Writer.CompleteAsync();
            await _toServer.Reader.CompleteAsync();
        }

        private sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
    }

    /// <summary>A memory pool that keeps what is given back (4 KiB blocks, or larger on request).</summary>
    private sealed class ReusingMemoryPool : MemoryPool<byte>
    {
        private readonly Stack<Block> _free = new();

        public override int MaxBufferSize => int.MaxValue;

        public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
        {
            var size = Math.Max(minBufferSize, 4096);
            lock (_free)
            {
                if (_free.TryPeek(out var block) && block.Memory.Length >= size)
                {
                    return _free.Pop();
                }
            }

            return new Block(this, new byte[size]);
        }

        protected override void Dispose(bool disposing)
        {
        }

        private sealed class Block(ReusingMemoryPool pool, byte[] array) : IMemoryOwner<byte>
        {
            public Memory<byte> Memory => array;

            public void Dispose()
            {
                lock (pool._free)
                {
                    pool._free.Push(this);
                }
            }
        }
    }
}
