using System.Net;
using System.Text.Json;
using Gateway.Api.Webhooks;
using Gateway.Tests.Api.Hubs;
using static Gateway.Tests.Api.Webhooks.WebhookTestKit;

namespace Gateway.Tests.Api.Webhooks;

/// <summary>The management API: lifecycle, validation (400 problem details), tenant isolation, limits.</summary>
[Trait("Tier", "Api")]
public sealed class WebhooksApiTests
{
    private static GatewayApiFactory HttpsOnlyGateway() => new() { Pool = new FakeEventPool() };

    [Fact]
    public async Task Create_ThenGetListPatchDelete_SecretOnlyShownOnCreate()
    {
        await using var app = HttpsOnlyGateway();
        using var client = app.CreateAlphaClient();

        var response = await client.PostJsonAsync("/api/v1/webhooks", new CreateWebhookRequest { Url = "https://crm.example.com/hooks?x=1", Events = ["message"], Description = "CRM" });

        var created = await response.ReadAsync<CreatedWebhookDto>(201);
        Assert.Equal($"/api/v1/webhooks/{created.Id}", response.Headers.Location?.OriginalString);
        Assert.Equal(("https://crm.example.com/hooks?x=1", "message", (string[]?)null, "CRM", true), (created.Url, Assert.Single(created.Events!), created.Sessions, created.Description, created.Enabled));

        var fetched = await client.GetAsync($"/api/v1/webhooks/{created.Id}", Token);
        var fetchedText = await fetched.Content.ReadAsStringAsync(Token);
        Assert.Equal(HttpStatusCode.OK, fetched.StatusCode);
        Assert.DoesNotContain("secret", fetchedText, StringComparison.OrdinalIgnoreCase);
        var list = await (await client.GetAsync("/api/v1/webhooks", Token)).ReadAsync<WebhookListDto>(200);
        Assert.Equal(created.Id, Assert.Single(list.Items).Id);
        Assert.DoesNotContain(created.Secret, await (await client.GetAsync("/api/v1/webhooks", Token)).Content.ReadAsStringAsync(Token), StringComparison.Ordinal);

        var patched = await client.PatchAsync($"/api/v1/webhooks/{created.Id}", JsonContent("""{"enabled":false,"events":null,"sessions":["alice"]}"""), Token);
        var updated = await patched.ReadAsync<WebhookDto>(200);
        Assert.Equal((false, (string[]?)null, "alice", "CRM"), (updated.Enabled, updated.Events, Assert.Single(updated.Sessions!), updated.Description));

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/v1/webhooks/{created.Id}", Token)).StatusCode);
        await (await client.GetAsync($"/api/v1/webhooks/{created.Id}", Token)).ProblemAsync(404, "webhook-not-found");
        app.Logs.AssertNoErrors();
        Assert.DoesNotContain(app.Logs.Entries, l => l.AllText.Contains(created.Secret, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{"url":"http://crm.example.com/hook"}""", "url")]
    [InlineData("""{"url":"https://user:pw@crm.example.com/hook"}""", "url")]
    [InlineData("""{"url":"/relative"}""", "url")]
    [InlineData("""{"url":"ftp://crm.example.com/hook"}""", "url")]
    [InlineData("""{"url":"https://crm.example.com/hook#frag"}""", "url")]
    [InlineData("""{"url":""}""", "url")]
    [InlineData("""{"url":"https://crm.example.com/hook","events":["message","nope"]}""", "events")]
    [InlineData("""{"url":"https://crm.example.com/hook","events":[]}""", "events")]
    [InlineData("""{"url":"https://crm.example.com/hook","sessions":["bad id!"]}""", "sessions")]
    [InlineData("""{"url":"https://crm.example.com/hook","sessions":[]}""", "sessions")]
    public async Task Create_InvalidInput_Returns400NamingTheField(string body, string field)
    {
        await using var app = HttpsOnlyGateway();
        using var client = app.CreateAlphaClient();

        var problem = await (await client.PostRawAsync("/api/v1/webhooks", body)).ProblemAsync(400, "validation-failed");

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Empty((await (await client.GetAsync("/api/v1/webhooks", Token)).ReadAsync<WebhookListDto>(200)).Items);
    }

    [Fact]
    public async Task Create_UrlTooLongOrUnknownField_Returns400()
    {
        await using var app = HttpsOnlyGateway();
        using var client = app.CreateAlphaClient();

        await (await client.PostJsonAsync("/api/v1/webhooks", new CreateWebhookRequest { Url = "https://crm.example.com/" + new string('a', 2_100) })).ProblemAsync(400, "validation-failed");
        await (await client.PostRawAsync("/api/v1/webhooks", """{"url":"https://crm.example.com/","secret":"mine"}""")).ProblemAsync(400);
        await (await client.PostRawAsync("/api/v1/webhooks", """{"events":["message"]}""")).ProblemAsync(400);
    }

    [Fact]
    public async Task Create_PastTheTenantLimit_Returns429()
    {
        await using var app = HttpsOnlyGateway();
        app.Settings["Gateway:Webhooks:MaxWebhooksPerTenant"] = "1";
        using var client = app.CreateAlphaClient();
        await CreateWebhookAsync(client, "https://a.example.com/");

        await (await client.PostJsonAsync("/api/v1/webhooks", new CreateWebhookRequest { Url = "https://b.example.com/" })).ProblemAsync(429, "webhook-limit-reached");

        // Another tenant has its own budget.
        using var beta = app.CreateBetaClient();
        await CreateWebhookAsync(beta, "https://b.example.com/");
    }

    [Fact]
    public async Task OtherTenant_CannotSeeOrChangeTheWebhook()
    {
        await using var app = HttpsOnlyGateway();
        using var alpha = app.CreateAlphaClient();
        using var beta = app.CreateBetaClient();
        var webhook = await CreateWebhookAsync(alpha, "https://crm.example.com/hook");
        var path = $"/api/v1/webhooks/{webhook.Id}";

        Assert.Empty((await (await beta.GetAsync("/api/v1/webhooks", Token)).ReadAsync<WebhookListDto>(200)).Items);
        await (await beta.GetAsync(path, Token)).ProblemAsync(404, "webhook-not-found");
        await (await beta.PatchAsync(path, JsonContent("""{"url":"https://evil.example.net/"}"""), Token)).ProblemAsync(404, "webhook-not-found");
        await (await beta.PostAsync($"{path}/rotate-secret", null, Token)).ProblemAsync(404, "webhook-not-found");
        await (await beta.GetAsync($"{path}/deliveries", Token)).ProblemAsync(404, "webhook-not-found");
        await (await beta.PostAsync($"{path}/deliveries/dlv_1/redeliver", null, Token)).ProblemAsync(404, "webhook-not-found");
        await (await beta.DeleteAsync(path, Token)).ProblemAsync(404, "webhook-not-found");

        var unchanged = await (await alpha.GetAsync(path, Token)).ReadAsync<WebhookDto>(200);
        Assert.Equal("https://crm.example.com/hook", unchanged.Url);
    }

    [Fact]
    public async Task PatchAndDeliveries_BadInput_Returns400()
    {
        await using var app = HttpsOnlyGateway();
        using var client = app.CreateAlphaClient();
        var webhook = await CreateWebhookAsync(client, "https://crm.example.com/hook");

        await (await client.PatchAsync($"/api/v1/webhooks/{webhook.Id}", JsonContent("""{"url":"http://crm.example.com/"}"""), Token)).ProblemAsync(400, "validation-failed");
        await (await client.PatchAsync($"/api/v1/webhooks/{webhook.Id}", JsonContent("""{"events":["bogus"]}"""), Token)).ProblemAsync(400, "validation-failed");
        await (await client.GetAsync($"/api/v1/webhooks/{webhook.Id}/deliveries?status=lost", Token)).ProblemAsync(400, "validation-failed");
        await (await client.GetAsync($"/api/v1/webhooks/{webhook.Id}/deliveries?limit=0", Token)).ProblemAsync(400, "validation-failed");
        await (await client.PostAsync($"/api/v1/webhooks/{webhook.Id}/deliveries/17/redeliver", null, Token)).ProblemAsync(404, "delivery-not-found");
    }

    [Fact]
    public async Task NoApiKey_Returns401()
    {
        await using var app = HttpsOnlyGateway();
        using var anonymous = app.CreateClient(apiKey: null);

        await (await anonymous.GetAsync("/api/v1/webhooks", Token)).ProblemAsync(401, "unauthorized");
    }

    [Fact]
    public async Task Create_SecretSealedAtRest_NotInTheDatabaseInClear()
    {
        await using var app = HttpsOnlyGateway();
        using var client = app.CreateAlphaClient();
        var webhook = await CreateWebhookAsync(client, "https://crm.example.com/hook");

        var connectionString = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder { DataSource = Path.Combine(app.StorageDirectory, "gateway.db"), Mode = Microsoft.Data.Sqlite.SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection(connectionString);
        await connection.OpenAsync(Token);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT secret_protected FROM webhooks WHERE id = $id";
        command.Parameters.AddWithValue("$id", webhook.Id);
        var stored = (string)(await command.ExecuteScalarAsync(Token))!;

        var key = webhook.Secret["whsec_".Length..];
        Assert.DoesNotContain(key, stored, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(webhook.Secret)), stored, StringComparison.Ordinal);
    }

    private static StringContent JsonContent(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}
