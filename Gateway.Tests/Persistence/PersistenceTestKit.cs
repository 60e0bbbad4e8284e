using System.Xml.Linq;
using Gateway.Api.Persistence;
using Gateway.Api.Persistence.Sqlite;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Gateway.Tests.Persistence;

/// <summary>A fresh directory under the system temp directory, deleted with everything in it.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "gateway-persistence-" + Guid.NewGuid().ToString("N"));

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}

/// <summary>
/// The store as the app builds it: <see cref="GatewayPersistenceExtensions.AddGatewayPersistence"/> on a host whose
/// content root is a temp directory, logs captured. The host is not started (no trim service running).
/// </summary>
internal sealed class StoreHost : IAsyncDisposable
{
    private readonly IHost _host;

    private StoreHost(IHost host, FakeLogCollector logs)
    {
        _host = host;
        Logs = logs;
    }

    public FakeLogCollector Logs { get; }

    public IServiceProvider Services => _host.Services;

    public SqliteGatewayStore Store => _host.Services.GetRequiredService<SqliteGatewayStore>();

    /// <summary>
    /// Outside Development the key ring must be protected or explicitly left unprotected: unless
    /// <paramref name="settings"/> say otherwise, the host opts out (Gateway:DataProtection:AllowUnprotectedKeys).
    /// </summary>
    public static StoreHost Create(string contentRoot, IDictionary<string, string?>? settings = null, string environmentName = "Test")
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = contentRoot,
            DisableDefaults = true,
            EnvironmentName = environmentName,
        });
        var merged = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase) { ["Gateway:DataProtection:AllowUnprotectedKeys"] = "true" };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            merged[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(merged);
        var logs = new FakeLogCollector();
        builder.Logging.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(logs));
        builder.Services.AddGatewayPersistence(builder.Configuration);
        return new StoreHost(builder.Build(), logs);
    }

    /// <summary>Style guide §10: any Error-level log fails the test.</summary>
    public void AssertNoErrors()
    {
        var errors = Logs.GetSnapshot().Where(r => r.Level >= LogLevel.Error).Select(r => $"[{r.Level}] {r.Category}({r.Id.Id}): {r.Message}").ToList();
        Assert.True(errors.Count == 0, "Error-level log lines:\n" + string.Join("\n", errors));
    }

    /// <summary>Starts the host: start-up validation and hosted services.</summary>
    public Task StartAsync(CancellationToken cancellationToken) => _host.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => _host.StopAsync(cancellationToken);

    public ValueTask DisposeAsync()
    {
        if (_host is IAsyncDisposable disposable)
        {
            return disposable.DisposeAsync();
        }

        _host.Dispose();
        return ValueTask.CompletedTask;
    }
}

internal static class PersistenceTestKit
{
    /// <summary>A time with sub-millisecond ticks and a non-UTC offset: storage must keep the instant exactly.</summary>
    public static readonly DateTimeOffset T0 = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.FromHours(2)).AddTicks(1_234_567);

    public static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>In-memory Data Protection keys, one ring for the test run: a reopened store can read what it wrote.</summary>
    public static readonly EphemeralDataProtectionProvider Keys = new();

    /// <summary>A store opened directly on <paramref name="databasePath"/>, with throw-away Data Protection keys (or the given ones).</summary>
    public static SqliteGatewayStore OpenStore(string databasePath, ILogger<SqliteGatewayStore>? logger = null, IDataProtectionProvider? keys = null) =>
        new(new GatewayStorageOptions { Path = databasePath }, keys ?? Keys, logger ?? new FakeLogger<SqliteGatewayStore>());

    /// <summary>A column of every row of a table, read behind the store's back.</summary>
    public static List<string> ReadRawColumn(string databasePath, string sql)
    {
        using var connection = OpenRaw(databasePath);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    /// <summary>A plain connection to the file, bypassing the store: to look at or tamper with what it wrote.</summary>
    public static SqliteConnection OpenRaw(string databasePath)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>Runs SQL on the file behind the store's back.</summary>
    public static void ExecuteRaw(string databasePath, string sql)
    {
        using var connection = OpenRaw(databasePath);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Event <paramref name="eventId"/> of a session, received <paramref name="eventId"/> minutes after <see cref="T0"/>; the kind cycles through all six.</summary>
    public static SessionEvent Event(string tenant, string sessionId, long eventId, DateTimeOffset? receivedAt = null)
    {
        var at = receivedAt ?? T0.AddMinutes(eventId);
        var contact = Jid.Parse("bob@example.net/phone");
        return (eventId % 6) switch
        {
            5 => new MessageStatusChanged(tenant, sessionId, eventId, at, new MessageStatus($"sent-{eventId}", contact.Bare, DeliveryStatus.Failed, at.AddSeconds(-3), at)
            {
                ErrorCondition = "service-unavailable",
                ErrorText = "Gone; really <gone> ünïcödé",
            }),
            0 => new MessageReceived(tenant, sessionId, eventId, at, new Message
            {
                From = contact,
                Id = $"m{eventId}",
                Type = MessageType.Chat,
                Body = $"hello {eventId} <&> ünïcödé",
                Payload = [new XElement(XName.Get("active", "http://jabber.org/protocol/chatstates"))],
            }),
            1 => new PresenceReceived(tenant, sessionId, eventId, at, new Presence { From = contact, Show = PresenceShow.Away, Status = "out", Priority = 5 }),
            2 => new RosterPushed(tenant, sessionId, eventId, at, new RosterItem(Jid.Parse("carol@example.org"))
            {
                Name = "Carol",
                Subscription = RosterSubscription.Both,
                Groups = ["Friends", "Work"],
            }),
            3 => new IqRequestReceived(
                tenant,
                sessionId,
                eventId,
                at,
                new Iq { Type = IqType.Get, Id = $"q{eventId}", From = contact, Payload = [new XElement(XName.Get("query", "jabber:iq:version"))] },
                DateTimeOffset.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds() + 30_000)),
            _ => new SessionStateChanged(tenant, sessionId, eventId, at, SessionState.Reconnecting, "connection-lost", "The connection was reset."),
        };
    }

    /// <summary>A message status event, as a session journals one for every sent message (three times).</summary>
    public static MessageStatusChanged StatusEvent(string tenant, string sessionId, long eventId, string messageId, DeliveryStatus status) =>
        new(tenant, sessionId, eventId, T0.AddMinutes(eventId), new MessageStatus(messageId, Jid.Parse("bob@example.org"), status, T0, T0.AddMinutes(eventId)));

    /// <summary>An accepted chat message waiting in the outbox.</summary>
    public static OutboxEntry OutboxEntry(string tenant, string sessionId, string stanzaId, bool waitForAck = false, string? archiveCursor = null) =>
        new(
            tenant,
            sessionId,
            new Message
            {
                Id = stanzaId,
                To = Jid.Parse("bob@example.org"),
                Type = MessageType.Chat,
                Body = $"body of {stanzaId} <&> ünïcode",
                Payload = [new XElement(XName.Get("origin-id", "urn:xmpp:sid:0"), new XAttribute("id", stanzaId))],
            },
            waitForAck,
            T0)
        {
            ArchiveCursor = archiveCursor,
        };

    /// <summary>Commits the events as one batch.</summary>
    public static Task CommitEventsAsync(this IPoolStore store, IEnumerable<SessionEvent> events)
    {
        var batch = new JournalBatch();
        batch.Events.AddRange(events);
        return store.CommitAsync(batch, Token);
    }

    /// <summary>Commits outbox additions, then removals, as one batch.</summary>
    public static Task CommitOutboxAsync(this IPoolStore store, IEnumerable<OutboxEntry> additions, IEnumerable<OutboxKey>? removals = null)
    {
        var batch = new JournalBatch();
        batch.OutboxAdditions.AddRange(additions);
        batch.OutboxRemovals.AddRange(removals ?? []);
        return store.CommitAsync(batch, Token);
    }

    /// <summary>A page with no byte bound.</summary>
    public static Task<EventPage> ReadAsync(this IEventLog log, string tenant, string sessionId, long afterEventId, int limit) =>
        log.ReadAsync(tenant, sessionId, afterEventId, limit, long.MaxValue, Token);

    public static async Task<long> LastEventIdAsync(this IEventLog log, string tenant, string sessionId) =>
        (await log.GetHeadAsync(tenant, sessionId, Token)).LastEventId;

    public static SessionEvent[] Events(string tenant, string sessionId, long firstId, long lastId) =>
        [.. Enumerable.Range((int)firstId, (int)(lastId - firstId + 1)).Select(id => Event(tenant, sessionId, id))];

    /// <summary>Same envelope, same type, same stored form (records holding XML payloads do not compare by value).</summary>
    public static void AssertSameEvents(IReadOnlyList<SessionEvent> expected, IReadOnlyList<SessionEvent> actual)
    {
        Assert.Equal(expected.Select(e => e.EventId), actual.Select(e => e.EventId));
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].GetType(), actual[i].GetType());
            Assert.Equal(expected[i].Tenant, actual[i].Tenant);
            Assert.Equal(expected[i].SessionId, actual[i].SessionId);
            Assert.Equal(expected[i].ReceivedAt, actual[i].ReceivedAt);
            Assert.Equal(SessionEventCodec.Encode(expected[i]), SessionEventCodec.Encode(actual[i]));
        }
    }
}
