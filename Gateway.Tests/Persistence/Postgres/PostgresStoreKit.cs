using Gateway.Api.Persistence.Postgres;
using Gateway.Tests.Integration.Postgres;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging.Testing;

namespace Gateway.Tests.Persistence.Postgres;

/// <summary>A <see cref="PostgresGatewayStore"/> on a database of the shared server, with its own pool of connections (one gateway node).</summary>
internal sealed class PostgresStoreNode : IAsyncDisposable
{
    private PostgresStoreNode(PostgresDatabase database, PostgresGatewayStore store, FakeLogCollector logs)
    {
        Database = database;
        Store = store;
        Logs = logs;
    }

    public PostgresDatabase Database { get; }

    public PostgresGatewayStore Store { get; }

    public FakeLogCollector Logs { get; }

    /// <summary>Opens a node on <paramref name="connectionString"/> with the test run's Data Protection keys (or the given ones).</summary>
    public static PostgresStoreNode Open(string connectionString, IDataProtectionProvider? keys = null)
    {
        var logs = new FakeLogCollector();
        var database = new PostgresDatabase(connectionString, new FakeLogger<PostgresDatabase>(logs));
        try
        {
            return new PostgresStoreNode(database, new PostgresGatewayStore(database, keys ?? PersistenceTestKit.Keys, new FakeLogger<PostgresGatewayStore>(logs)), logs);
        }
        catch
        {
            database.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        await Database.DisposeAsync();
    }
}

/// <summary>The whole pool store contract, on a fresh database of the private PostgreSQL server per test.</summary>
[Collection(PostgresCollection.Name)]
[Trait("Tier", "Integration")]
public sealed class PostgresPoolStoreContractTests(PostgresFixture fixture) : PoolStoreContractTests
{
    private PostgresTestDatabase? _database;
    private PostgresStoreNode? _node;

    protected override async ValueTask<Xmpp.Pool.Persistence.IPoolStore> CreateAsync()
    {
        _database = await fixture.CreateDatabaseAsync("contract", PersistenceTestKit.Token);
        _node = PostgresStoreNode.Open(_database.ConnectionString);
        return _node.Store;
    }

    public override async ValueTask DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        await base.DisposeAsync();
    }
}
