using Gateway.Api.Contracts;
using Gateway.Api.Webhooks;
using Gateway.Tests.Api;
using Gateway.Tests.Api.Hubs;
using Gateway.Tests.Api.Webhooks;
using Gateway.Tests.Integration.Prosody;
using Gateway.Tests.Support;

namespace Gateway.Tests.Integration.Postgres;

/// <summary>
/// The real gateway (WebApplicationFactory) with Gateway:Storage:Provider=Postgres: what it stores is in the database,
/// not in a file, and a gateway started after it (another node, or the same one restarted) finds it there.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Tier", "Api")]
public sealed class PostgresGatewayHostTests(PostgresFixture postgres, ProsodyFixture prosody) : IAsyncLifetime
{
    private PostgresTestDatabase? _database;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _database = await postgres.CreateDatabaseAsync("gateway", Token);

    public async ValueTask DisposeAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    [Fact]
    public async Task CreateSession_ThenRestart_TheNextGatewayReadsItBackFromPostgres()
    {
        var account = await prosody.CreateAccountAsync("pg", Token);
        SessionDto created;
        string firstStorage;
        await using (var first = OnPostgres(new GatewayApiFactory(prosody) { KeepStorage = true }))
        {
            firstStorage = first.StorageDirectory;
            created = await HubTestKit.CreateSessionAsync(first, prosody.Server, account, "on-postgres");
            first.Logs.AssertNoErrors();
        }

        await using var second = OnPostgres(new GatewayApiFactory(prosody));
        using var client = second.CreateAlphaClient();
        var restored = await (await client.GetAsync(new Uri($"/api/v1/sessions/{created.Id}", UriKind.Relative), Token)).ReadAsync<SessionDto>(200);

        Assert.Equal((created.Id, created.Jid), (restored.Id, restored.Jid));
        Assert.False(File.Exists(Path.Combine(firstStorage, "gateway.db")), "Nothing is stored in the SQLite file when PostgreSQL is selected.");
        using (var other = second.CreateBetaClient())
        {
            await (await other.GetAsync(new Uri($"/api/v1/sessions/{created.Id}", UriKind.Relative), Token)).ReadAsync<Microsoft.AspNetCore.Mvc.ProblemDetails>(404);
        }

        second.Logs.AssertNoErrors();
        TryDelete(firstStorage);
    }

    [Fact]
    public async Task Webhook_DeliveredOnOneGateway_ListedOnTheNext()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        CreatedWebhookDto webhook;
        await using (var first = OnPostgres(WebhookTestKit.StartGateway(new FakeEventPool())))
        {
            var pool = (FakeEventPool)first.Pool!;
            using var client = first.CreateAlphaClient();
            webhook = await WebhookTestKit.CreateWebhookAsync(client, receiver.Url());
            receiver.Secrets = [webhook.Secret];

            pool.Publish(WebhookTestKit.Message("s1", 1, "hello from postgres"));

            var delivered = await WebhookTestKit.WaitForDeliveryAsync(client, webhook.Id, 1, "delivered");
            Assert.Equal((1, 200), (delivered.Attempts, delivered.LastStatusCode));
            first.Logs.AssertNoErrors();
        }

        await using var second = OnPostgres(WebhookTestKit.StartGateway(new FakeEventPool()));
        using var again = second.CreateAlphaClient();
        var listed = await (await again.GetAsync(new Uri("/api/v1/webhooks", UriKind.Relative), Token)).ReadAsync<WebhookListDto>(200);

        // (Its delivery log is not compared: this gateway's scripted pool has an empty journal, which to the webhook
        // looks like a session that started over, so it rightly forgets that session's deliveries.)
        Assert.Equal(webhook.Id, Assert.Single(listed.Items).Id);
        Assert.True(Assert.Single(receiver.Snapshot()).Verified);
        second.Logs.AssertNoErrors();
    }

    private GatewayApiFactory OnPostgres(GatewayApiFactory factory)
    {
        factory.Settings["Gateway:Storage:Provider"] = "Postgres";
        factory.Settings["Gateway:Storage:ConnectionString"] = _database!.ConnectionString;
        return factory;
    }

    private static void TryDelete(string directory)
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
