using Gateway.Api.Persistence;
using Gateway.Api.Persistence.Postgres;
using Gateway.Tests.Integration.Postgres;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using static Gateway.Tests.Persistence.PersistenceTestKit;

namespace Gateway.Tests.Persistence.Postgres;

/// <summary>
/// What the PostgreSQL store adds to the contract: several nodes on one database (a shared Data Protection key ring,
/// concurrent commits), and a schema that is created once and survives restarts.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Tier", "Integration")]
public sealed class PostgresGatewayStoreTests(PostgresFixture fixture) : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _disposables = [];
    private PostgresTestDatabase? _database;

    private string ConnectionString => _database!.ConnectionString;

    public async ValueTask InitializeAsync() => _database = await fixture.CreateDatabaseAsync("store", Token);

    public async ValueTask DisposeAsync()
    {
        for (var i = _disposables.Count - 1; i >= 0; i--)
        {
            await _disposables[i].DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    [Fact]
    public async Task TwoGatewayHosts_OneSeals_TheOtherReadsThroughTheSharedKeyRing()
    {
        using var contentRoot = new TempDirectory();
        var settings = new Dictionary<string, string?>
        {
            ["Gateway:Storage:Provider"] = "postgres",
            ["Gateway:Storage:ConnectionString"] = ConnectionString,
        };
        var first = Track(StoreHost.Create(contentRoot.Path, settings));
        var firstStore = first.Services.GetRequiredService<IPoolStore>();
        Assert.IsType<PostgresGatewayStore>(firstStore);
        var spec = new SessionSpec { Jid = Jid.Parse("alice@example.com"), Password = "hunter2-secret" };
        await firstStore.SaveAsync(new StoredSession("t", "s", spec, T0), Token);
        var message = new Message { From = Jid.Parse("bob@example.com/phone"), Body = "body-in-clear-nowhere" };
        await firstStore.CommitEventsAsync([new MessageReceived("t", "s", 1, T0, message)]);

        // Another node: its own container, Data Protection and connections; only the database is shared.
        var second = Track(StoreHost.Create(contentRoot.Path, settings));
        var secondStore = second.Services.GetRequiredService<IPoolStore>();
        var sessions = await secondStore.LoadAllAsync(Token);
        var page = await secondStore.ReadAsync("t", "s", 0, 10);

        Assert.Equal("hunter2-secret", Assert.Single(sessions).Spec.Password);
        Assert.Equal("body-in-clear-nowhere", Assert.IsType<MessageReceived>(Assert.Single(page.Events)).Message.Body);
        Assert.DoesNotContain(await ReadColumnAsync("SELECT spec_protected FROM sessions"), value => value.Contains("hunter2", StringComparison.Ordinal));
        Assert.DoesNotContain(await ReadColumnAsync("SELECT data FROM events"), value => value.Contains("body-in-clear", StringComparison.Ordinal));
        Assert.Single(await ReadColumnAsync("SELECT key_protected FROM store_keys"));
        Assert.NotEmpty(await ReadColumnAsync("SELECT xml FROM data_protection_keys"));
        first.AssertNoErrors();
        second.AssertNoErrors();
    }

    [Fact]
    public async Task KeyCreatedByAnotherNodeAfterStart_UnprotectsWithoutRestart()
    {
        using var contentRoot = new TempDirectory();
        var settings = new Dictionary<string, string?>
        {
            ["Gateway:Storage:Provider"] = "Postgres",
            ["Gateway:Storage:ConnectionString"] = ConnectionString,
        };
        var first = Track(StoreHost.Create(contentRoot.Path, settings));
        var firstProtector = first.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test");
        Assert.Equal("a", firstProtector.Unprotect(firstProtector.Protect("a")));

        // The other node makes a key of its own (as two nodes starting together on an empty ring each do) and seals
        // with it; the first node's cached ring has never seen that key.
        var second = Track(StoreHost.Create(contentRoot.Path, settings));
        var keys = second.Services.GetRequiredService<Microsoft.AspNetCore.DataProtection.KeyManagement.IKeyManager>();
        var created = keys.CreateNewKey(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(90));
        var sealedBySecond = second.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Protect("b"u8.ToArray());

        // The payload names its key after a 4-byte magic header: it is the new key's.
        Assert.Equal(created.KeyId, new Guid(sealedBySecond.AsSpan(4, 16)));
        Assert.Equal("b"u8.ToArray(), firstProtector.Unprotect(sealedBySecond));
    }

    [Fact]
    public async Task NodeWithAnotherKeyRing_ReadsNothing_AndSaysWhy()
    {
        await using (var writer = PostgresStoreNode.Open(ConnectionString))
        {
            await writer.Store.SaveAsync(new StoredSession("t", "s", new SessionSpec { Jid = Jid.Parse("a@example.com"), Password = "p" }, T0), Token);
            await writer.Store.CommitEventsAsync(Events("t", "s", 1, 3));
        }

        await using var stranger = PostgresStoreNode.Open(ConnectionString, new EphemeralDataProtectionProvider());

        Assert.Empty(await stranger.Store.LoadAllAsync(Token));
        Assert.Empty((await stranger.Store.ReadAsync("t", "s", 0, 10)).Events);
        var ids = stranger.Logs.GetSnapshot().Select(record => record.Id.Id).ToList();
        Assert.Contains(5503, ids); // the stored key does not unwrap
        Assert.Contains(5510, ids); // the session is not restored
    }

    [Fact]
    public async Task TwoNodes_CommitToTheirSessionsAtOnce_EveryEventStoredOnceInOrder()
    {
        const int Commits = 40;
        var a = Track(PostgresStoreNode.Open(ConnectionString));
        var b = Track(PostgresStoreNode.Open(ConnectionString));
        var sessions = new[] { (a, "a1"), (a, "a2"), (a, "a3"), (b, "b1"), (b, "b2"), (b, "b3") };

        // Each session's node numbers its events; the nodes commit side by side, each caller retrying one batch as
        // after an ambiguous failure, with outbox entries added and acknowledged meanwhile.
        await Task.WhenAll(sessions.Select(pair => Task.Run(async () =>
        {
            var (node, session) = pair;
            var batch = new JournalBatch();
            for (var i = 0; i < Commits; i++)
            {
                batch.Clear();
                batch.Events.AddRange(Events("t", session, (2 * i) + 1, (2 * i) + 2));
                batch.OutboxAdditions.Add(OutboxEntry("t", session, $"m-{i}"));
                if (i > 0)
                {
                    batch.OutboxRemovals.Add(new OutboxKey("t", session, $"m-{i - 1}"));
                }

                batch.ArchiveCursors.Add(new ArchiveCursor("t", session, $"archive-{i}"));
                await node.Store.CommitAsync(batch, Token);
                if (i == Commits / 2)
                {
                    await node.Store.CommitAsync(batch, Token);
                }
            }
        }, Token)));

        foreach (var (node, session) in sessions)
        {
            var other = node == a ? b : a;
            var page = await other.Store.ReadAsync("t", session, 0, 1_000);
            Assert.Equal(Enumerable.Range(1, 2 * Commits).Select(i => (long)i), page.Events.Select(e => e.EventId));
            Assert.Equal(new JournalHead(2 * Commits, $"archive-{Commits - 1}"), await other.Store.GetHeadAsync("t", session, Token));
            Assert.Equal([$"m-{Commits - 1}"], (await other.Store.LoadAsync("t", session, Token)).Select(e => e.StanzaId));
        }

        Assert.DoesNotContain(a.Logs.GetSnapshot().Concat(b.Logs.GetSnapshot()), record => record.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task CommitAsync_OneCommitTheServerRefuses_FailsAloneNotTheOthersQueuedWithIt()
    {
        var node = Track(PostgresStoreNode.Open(ConnectionString));

        // PostgreSQL text cannot hold U+0000: the server refuses this commit whatever transaction it shares.
        var refused = node.Store.CommitEventsAsync(Events("t", "bad\0session", 1, 1));
        var accepted = Enumerable.Range(0, 20).Select(i => node.Store.CommitEventsAsync(Events("t", $"s{i}", 1, 2))).ToArray();

        await Assert.ThrowsAsync<PostgresException>(() => refused);
        await Task.WhenAll(accepted);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(2, (await node.Store.GetHeadAsync("t", $"s{i}", Token)).LastEventId);
        }
    }

    [Fact]
    public async Task Open_AgainAfterRestart_SchemaCreatedOnceAndDataKept()
    {
        await using (var first = PostgresStoreNode.Open(ConnectionString))
        {
            await first.Store.CommitEventsAsync(Events("t", "s", 1, 5));
            Assert.Contains(first.Logs.GetSnapshot(), record => record.Id.Id == 7002);
        }

        await using var second = PostgresStoreNode.Open(ConnectionString);

        Assert.Equal(5, (await second.Store.ReadAsync("t", "s", 0, 10)).Events.Count);
        Assert.DoesNotContain(second.Logs.GetSnapshot(), record => record.Id.Id is 7002 or 5504);
        Assert.Equal([PostgresSchema.CurrentVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)], await ReadColumnAsync("SELECT version::text FROM schema_version"));
        Assert.Single(await ReadColumnAsync("SELECT key_protected FROM store_keys"));
    }

    [Fact]
    public async Task Open_SeveralNodesAtOnceOnAnEmptyDatabase_OneSchemaAndOneStoreKey()
    {
        var nodes = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() => PostgresStoreNode.Open(ConnectionString), Token)));
        foreach (var node in nodes)
        {
            Track(node);
        }

        await nodes[0].Store.CommitEventsAsync(Events("t", "s", 1, 2));

        Assert.Equal(2, (await nodes[2].Store.ReadAsync("t", "s", 0, 10)).Events.Count);
        Assert.Single(await ReadColumnAsync("SELECT key_protected FROM store_keys"));
        Assert.Single(await ReadColumnAsync("SELECT version::text FROM schema_version"));
    }

    [Fact]
    public async Task Open_DatabaseOfANewerGateway_RefusesNamingTheSetting()
    {
        await using (var node = PostgresStoreNode.Open(ConnectionString))
        {
        }

        await ExecuteAsync("UPDATE schema_version SET version = 999");

        var refused = Assert.Throws<InvalidOperationException>(() => PostgresStoreNode.Open(ConnectionString));
        Assert.Contains("Gateway:Storage:ConnectionString", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Server.UserPassword, refused.Message, StringComparison.Ordinal);
    }

    private T Track<T>(T disposable)
        where T : IAsyncDisposable
    {
        _disposables.Add(disposable);
        return disposable;
    }

    private async Task<List<string>> ReadColumnAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(Token);
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(Token);
        var values = new List<string>();
        while (await reader.ReadAsync(Token))
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(Token);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Token);
    }
}
