using System.Net;
using System.Text.Json;
using Gateway.Tests.Api.Fakes;

namespace Gateway.Tests.Api.Health;

[Trait("Tier", "Api")]
public sealed class HealthTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Health_Always_Returns200Healthy()
    {
        await using var app = new GatewayApiFactory { Pool = new FakeSessionPool { Running = false } };
        using var client = app.CreateClient(apiKey: null);

        var response = await client.GetAsync("/health", Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync(Token));
    }

    [Fact]
    public async Task Ready_Authenticated_Returns200WithCountsPerStateAndNoJids()
    {
        var pool = new FakeSessionPool();
        pool.Add(GatewayApiFactory.AlphaTenant, "a1", "secret-person@example.com");
        pool.Add(GatewayApiFactory.BetaTenant, "b1", "other-person@example.com");
        await using var app = new GatewayApiFactory { Pool = pool };
        using var client = app.CreateClient(GatewayApiFactory.AlphaKey);

        var response = await client.GetAsync("/health/ready", Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync(Token);
        Assert.DoesNotContain("@", text, StringComparison.Ordinal);
        Assert.DoesNotContain(GatewayApiFactory.AlphaTenant, text, StringComparison.Ordinal);
        var data = JsonDocument.Parse(text).RootElement.GetProperty("checks").GetProperty("session-pool").GetProperty("data");
        Assert.True(data.GetProperty("running").GetBoolean());
        Assert.Equal(2, data.GetProperty("sessions").GetProperty("online").GetInt32());
        Assert.Equal(0, data.GetProperty("sessions").GetProperty("failed").GetInt32());
    }

    [Fact]
    public async Task Ready_PoolNotRunning_Returns503()
    {
        await using var app = new GatewayApiFactory { Pool = new FakeSessionPool { Running = false } };
        using var client = app.CreateClient(GatewayApiFactory.AlphaKey);

        var response = await client.GetAsync("/health/ready", Token);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Token)).RootElement;
        Assert.Equal("Unhealthy", json.GetProperty("status").GetString());
    }

    [Theory]
    [InlineData(true, HttpStatusCode.OK, "Healthy")]
    [InlineData(false, HttpStatusCode.ServiceUnavailable, "Unhealthy")]
    public async Task Ready_Anonymous_StatusOnly_NoDetails(bool running, HttpStatusCode expected, string status)
    {
        var pool = new FakeSessionPool { Running = running };
        pool.Add(GatewayApiFactory.AlphaTenant, "a1", "secret-person@example.com");
        await using var app = new GatewayApiFactory { Pool = pool };
        using var client = app.CreateClient(apiKey: null);

        var response = await client.GetAsync("/health/ready", Token);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(status, await response.Content.ReadAsStringAsync(Token));
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task Ready_WrongApiKey_StatusOnly()
    {
        await using var app = new GatewayApiFactory { Pool = new FakeSessionPool() };
        using var client = app.CreateClient("not-a-key-of-anyone");

        var response = await client.GetAsync("/health/ready", Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync(Token));
    }

    [Fact]
    public async Task Ready_RealPool_IsRunningOnceStarted()
    {
        await using var app = new GatewayApiFactory();
        using var client = app.CreateClient(apiKey: null);

        var response = await client.GetAsync("/health/ready", Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
