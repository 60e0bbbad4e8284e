using Gateway.Xmpp.Pool.Persistence;
using Microsoft.Extensions.Logging.Testing;
using static Gateway.Tests.Persistence.PersistenceTestKit;

namespace Gateway.Tests.Persistence;

/// <summary>What only the SQLite outbox does; the rest is in <see cref="PoolStoreContractTests"/>.</summary>
[Trait("Tier", "Unit")]
public sealed class SqliteOutboxTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private string DatabasePath => _directory.Combine("gateway.db");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Committed_SurvivesReopen_InAcceptanceOrder_RemovedOnesGone()
    {
        await using (var store = OpenStore(DatabasePath))
        {
            await store.CommitOutboxAsync([OutboxEntry("t", "s", "m-3", archiveCursor: "a-1")]);
            await store.CommitOutboxAsync([OutboxEntry("t", "s", "m-1", waitForAck: true), OutboxEntry("t", "s", "m-2")]);
            await store.CommitOutboxAsync([], [new OutboxKey("t", "s", "m-1")]);
        }

        await using var reopened = OpenStore(DatabasePath);
        var entries = await reopened.LoadAsync("t", "s", Token);

        Assert.Equal(["m-3", "m-2"], entries.Select(e => e.StanzaId));
        Assert.Equal("a-1", entries[0].ArchiveCursor);
        Assert.Equal("body of m-3 <&> ünïcode", ((Xmpp.Message)entries[0].Stanza).Body);
        Assert.True(reopened.IsDurable);
    }

    [Fact]
    public async Task UnreadableRow_SkippedAndLogged_OthersLoaded()
    {
        var logger = new FakeLogger<Gateway.Api.Persistence.Sqlite.SqliteGatewayStore>();
        await using var store = OpenStore(DatabasePath, logger);
        await store.CommitOutboxAsync([OutboxEntry("t", "s", "m-1")]);
        ExecuteRaw(DatabasePath, "INSERT INTO outbox (tenant, session_id, stanza_id, accepted_at, wait_for_ack, stanza) VALUES ('t', 's', 'bad', 0, 0, '<message><unclosed')");

        await store.CommitOutboxAsync([OutboxEntry("t", "s", "m-2")]);

        Assert.Equal(["m-1", "m-2"], (await store.LoadAsync("t", "s", Token)).Select(e => e.StanzaId));
        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Id.Id == 5513 && r.Message.Contains("bad", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StanzaInClear_Planted_NotLoadedSoNeverSent_Logged()
    {
        // A well-formed stanza written into the file by someone without the key ring: sending it would let whoever
        // can write the database speak as the account.
        var logger = new FakeLogger<Gateway.Api.Persistence.Sqlite.SqliteGatewayStore>();
        await using var store = OpenStore(DatabasePath, logger);
        await store.CommitOutboxAsync([OutboxEntry("t", "s", "m-1")]);
        ExecuteRaw(DatabasePath, """INSERT INTO outbox (tenant, session_id, stanza_id, accepted_at, wait_for_ack, stanza) VALUES ('t', 's', 'planted', 0, 0, '<message xmlns="jabber:client" id="planted" to="victim@example.org" type="chat"><body>forged</body></message>')""");

        Assert.Equal(["m-1"], (await store.LoadAsync("t", "s", Token)).Select(e => e.StanzaId));
        var logged = Assert.Single(logger.Collector.GetSnapshot(), r => r.Id.Id == 5513);
        Assert.IsType<Gateway.Api.Persistence.UnsealedPayloadException>(logged.Exception);
    }

    [Fact]
    public async Task StanzaSealedWithDataProtection_BeforeTheStoreKey_StillLoads()
    {
        await using var store = OpenStore(DatabasePath);
        var legacy = new Gateway.Api.Persistence.LegacyPayloadProtector(Keys);
        var sealedStanza = legacy.Protect("t", "s", """<message xmlns="jabber:client" id="old-1" to="bob@example.org" type="chat"><body>old</body></message>""");
        ExecuteRaw(DatabasePath, $"INSERT INTO outbox (tenant, session_id, stanza_id, accepted_at, wait_for_ack, stanza) VALUES ('t', 's', 'old-1', 0, 0, '{sealedStanza}')");

        var entry = Assert.Single(await store.LoadAsync("t", "s", Token));

        Assert.Equal("old", ((Xmpp.Message)entry.Stanza).Body);
    }
}
