using System.Collections.Immutable;
using Gateway.Api.Persistence;
using Gateway.Api.Persistence.Sqlite;
using Gateway.Api.Webhooks;
using Gateway.Tests.Integration.Postgres;
using Gateway.Tests.Persistence;
using Gateway.Tests.Persistence.Postgres;
using Microsoft.Extensions.Logging.Testing;

namespace Gateway.Tests.Api.Webhooks;

/// <summary>What every <see cref="IWebhookStore"/> does: the SQLite and the PostgreSQL store run these cases through a subclass each.</summary>
public abstract class WebhookStoreContractTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero).AddTicks(1_234_567);

    private IWebhookStore? _store;

    protected static CancellationToken Token => TestContext.Current.CancellationToken;

    private protected static WebhookSecretProtector Secrets { get; } = new(PersistenceTestKit.Keys);

    private IWebhookStore Store => _store ?? throw new InvalidOperationException("Not initialised.");

    public async ValueTask InitializeAsync() => _store = await CreateAsync();

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    private protected abstract ValueTask<IWebhookStore> CreateAsync();

    [Fact]
    public async Task InsertAsync_EveryField_ReadsBackPerTenantOnly()
    {
        var webhook = Webhook("wh_1", "alpha") with { Events = ["message"], Sessions = ["s1", "s2"], Description = "d", PreviousSecret = "whsec_old", PreviousSecretUntil = T0.AddHours(1) };
        await Store.InsertAsync(webhook, [("s1", 4)], Token);
        await Store.InsertAsync(Webhook("wh_2", "beta"), [], Token);

        var found = await Store.FindAsync("alpha", "wh_1", Token);

        Assert.NotNull(found);
        Assert.Equal((webhook.Url, webhook.Description, webhook.Enabled, webhook.CreatedAt, webhook.Secret, webhook.PreviousSecret, webhook.PreviousSecretUntil),
            (found.Url, found.Description, found.Enabled, found.CreatedAt, found.Secret, found.PreviousSecret, found.PreviousSecretUntil));
        Assert.Equal(["message"], found.Events);
        Assert.Equal(["s1", "s2"], found.Sessions);
        Assert.True((await Store.FindAsync("alpha", "wh_2", Token)) is null);
        Assert.True((await Store.FindAsync("beta", "wh_2", Token))!.Events.IsDefault);
        Assert.Equal(["wh_1"], (await Store.ListAsync("alpha", Token)).Select(w => w.Id));
        Assert.Equal(["wh_1", "wh_2"], (await Store.LoadAllAsync(Token)).Select(w => w.Id));
        Assert.Equal((1, 0), (await Store.CountAsync("alpha", Token), await Store.CountAsync("gamma", Token)));
        Assert.Equal(4, await Store.GetCursorAsync("wh_1", "s1", Token));
    }

    [Fact]
    public async Task UpdateAsync_AndDeleteAsync_OnlyTheOwnersWebhook()
    {
        var webhook = Webhook("wh_1", "alpha");
        await Store.InsertAsync(webhook, [("s1", 0)], Token);

        Assert.True(await Store.UpdateAsync(webhook with { Enabled = false, Secret = "whsec_new" }, Token));
        Assert.False(await Store.UpdateAsync(webhook with { Tenant = "beta" }, Token));
        Assert.False(await Store.DeleteAsync("beta", "wh_1", Token));
        var updated = await Store.FindAsync("alpha", "wh_1", Token);
        Assert.Equal((false, "whsec_new"), (updated!.Enabled, updated.Secret));

        await Store.AdvanceAsync("wh_1", "s1", [(1, "message")], 1, gap: false, T0, Token);
        Assert.True(await Store.DeleteAsync("alpha", "wh_1", Token));

        Assert.Null(await Store.FindAsync("alpha", "wh_1", Token));
        Assert.Null(await Store.GetCursorAsync("wh_1", "s1", Token));
        Assert.Empty(await Store.ListDeliveriesAsync("wh_1", null, 10, Token));
    }

    [Fact]
    public async Task AdvanceAsync_QueuesOnceAndCursorOnlyMovesForward()
    {
        await Store.InsertAsync(Webhook("wh_1", "alpha"), [], Token);

        await Store.AdvanceAsync("wh_1", "s1", [(1, "message"), (2, "presence")], 2, gap: false, T0, Token);
        await Store.AdvanceAsync("wh_1", "s1", [(2, "presence"), (3, "message")], 3, gap: true, T0, Token);
        await Store.AdvanceAsync("wh_1", "s1", [], 1, gap: false, T0, Token);

        Assert.Equal(3, await Store.GetCursorAsync("wh_1", "s1", Token));
        var deliveries = await Store.ListDeliveriesAsync("wh_1", null, 10, Token);
        Assert.Equal([3L, 2, 1], deliveries.Select(d => d.EventId));
        Assert.All(deliveries, d => Assert.Equal((WebhookDeliveryStatus.Pending, 0, T0, "s1"), (d.Status, d.Attempts, d.CreatedAt, d.SessionId)));
        Assert.Equal(1, (await Store.NextOpenAsync("wh_1", "s1", Token))!.EventId);
        Assert.Equal(["s1"], await Store.KnownSessionsAsync("wh_1", Token));
    }

    [Fact]
    public async Task RecordAsync_RequeueAsync_TrimDeliveredAsync_KeepTheLogAsTold()
    {
        await Store.InsertAsync(Webhook("wh_1", "alpha"), [], Token);
        await Store.AdvanceAsync("wh_1", "s1", [(1, "message"), (2, "message"), (3, "message"), (4, "message")], 4, gap: false, T0, Token);
        var all = await Store.ListDeliveriesAsync("wh_1", null, 10, Token);
        foreach (var delivery in all.Where(d => d.EventId <= 3))
        {
            await Store.RecordAsync(delivery with { Status = WebhookDeliveryStatus.Delivered, Attempts = 1, LastAttemptAt = T0.AddSeconds(1), LastStatusCode = 200 }, Token);
        }

        var failed = all.Single(d => d.EventId == 4) with
        {
            Status = WebhookDeliveryStatus.Failed, Attempts = 2, LastAttemptAt = T0.AddSeconds(2), NextAttemptAt = T0.AddSeconds(9), LastStatusCode = 503, LastError = "HTTP 503",
        };
        await Store.RecordAsync(failed, Token);

        var stored = await Store.FindDeliveryAsync("wh_1", failed.Id, Token);
        Assert.Equal(failed, stored);
        Assert.Equal(4, (await Store.NextOpenAsync("wh_1", "s1", Token))!.EventId);
        Assert.Equal([3L, 2, 1], (await Store.ListDeliveriesAsync("wh_1", WebhookDeliveryStatus.Delivered, 10, Token)).Select(d => d.EventId));

        // Both stores keep one more delivered entry than asked (the cut is at the (keep + 1)-th newest, exclusive):
        // the contract held here is that the open entry and the newest delivered stay and the oldest goes.
        await Store.TrimDeliveredAsync("wh_1", 1, Token);
        var kept = (await Store.ListDeliveriesAsync("wh_1", null, 10, Token)).Select(d => d.EventId).ToList();
        Assert.Equal([4L, 3], kept[..2]);
        Assert.DoesNotContain(1L, kept);

        Assert.True(await Store.RequeueAsync("wh_1", failed.Id, Token));
        Assert.False(await Store.RequeueAsync("wh_other", failed.Id, Token));
        var requeued = await Store.FindDeliveryAsync("wh_1", failed.Id, Token);
        Assert.Equal((WebhookDeliveryStatus.Pending, 0, null), (requeued!.Status, requeued.Attempts, requeued.NextAttemptAt));
    }

    [Fact]
    public async Task ResetSessionAsync_ForgetsThatSessionOnly()
    {
        await Store.InsertAsync(Webhook("wh_1", "alpha"), [("s1", 0), ("s2", 0)], Token);
        await Store.AdvanceAsync("wh_1", "s1", [(1, "message")], 1, gap: false, T0, Token);
        await Store.AdvanceAsync("wh_1", "s2", [(1, "message")], 1, gap: false, T0, Token);

        await Store.ResetSessionAsync("wh_1", "s1", Token);

        Assert.Null(await Store.GetCursorAsync("wh_1", "s1", Token));
        Assert.Equal(1, await Store.GetCursorAsync("wh_1", "s2", Token));
        Assert.Equal(["s2"], (await Store.ListDeliveriesAsync("wh_1", null, 10, Token)).Select(d => d.SessionId));
    }

    private static Webhook Webhook(string id, string tenant) =>
        new(id, tenant, new Uri("https://hooks.example.com/in"), default, default, null, true, T0, "whsec_" + id, null, null);
}

[Trait("Tier", "Unit")]
public sealed class SqliteWebhookStoreContractTests : WebhookStoreContractTests
{
    private readonly TempDirectory _directory = new();
    private SqliteGatewayStore? _gatewayStore;

    private protected override ValueTask<IWebhookStore> CreateAsync()
    {
        _gatewayStore = PersistenceTestKit.OpenStore(_directory.Combine("gateway.db"));
        return ValueTask.FromResult<IWebhookStore>(new SqliteWebhookStore(_gatewayStore, Secrets, new FakeLogger<SqliteWebhookStore>()));
    }

    public override async ValueTask DisposeAsync()
    {
        if (_gatewayStore is not null)
        {
            await _gatewayStore.DisposeAsync();
        }

        _directory.Dispose();
        await base.DisposeAsync();
    }
}

[Collection(PostgresCollection.Name)]
[Trait("Tier", "Integration")]
public sealed class PostgresWebhookStoreContractTests(PostgresFixture fixture) : WebhookStoreContractTests
{
    private PostgresTestDatabase? _database;
    private PostgresStoreNode? _node;

    private protected override async ValueTask<IWebhookStore> CreateAsync()
    {
        _database = await fixture.CreateDatabaseAsync("webhooks", Token);
        _node = PostgresStoreNode.Open(_database.ConnectionString);
        return new PostgresWebhookStore(_node.Store, _node.Database, Secrets, new FakeLogger<PostgresWebhookStore>());
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
