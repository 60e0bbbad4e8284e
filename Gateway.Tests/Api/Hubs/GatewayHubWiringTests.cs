using System.Text.Json;
using Gateway.Api.Hubs;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Api.Hubs;

/// <summary>What AddGatewayHub and MapGatewayHub set up, seen from outside.</summary>
[Trait("Tier", "Api")]
public sealed class GatewayHubWiringTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Negotiate_StatefulReconnectRequested_ServerAgrees()
    {
        await using var app = new GatewayApiFactory { Pool = new FakeEventPool() };
        using var client = app.CreateAlphaClient();

        var response = await client.PostAsync("/hubs/xmpp/negotiate?negotiateVersion=1&useStatefulReconnect=true", content: null, Token);

        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Token));
        Assert.True(body.RootElement.GetProperty("useStatefulReconnect").GetBoolean());
    }

    [Fact]
    public async Task Negotiate_WithoutApiKey_Returns401()
    {
        await using var app = new GatewayApiFactory { Pool = new FakeEventPool() };
        using var client = app.CreateClient(apiKey: null);

        var response = await client.PostAsync("/hubs/xmpp/negotiate?negotiateVersion=1", content: null, Token);

        await response.ProblemAsync(401, "unauthorized");
    }

    [Fact]
    public async Task HubOptions_FromGatewayHubSection_Applied()
    {
        await using var app = new GatewayApiFactory { Pool = new FakeEventPool() };
        app.Settings["Gateway:Hub:StatefulReconnectBufferSize"] = "200000";
        app.Settings["Gateway:Hub:MaximumReceiveMessageSize"] = "65536";

        var hub = app.Services.GetRequiredService<IOptions<HubOptions<GatewayHub>>>().Value;

        Assert.Equal(200_000, hub.StatefulReconnectBufferSize);
        Assert.Equal(65_536, hub.MaximumReceiveMessageSize);
    }

    [Theory]
    [InlineData("SendTimeout", "00:00:00")]
    [InlineData("SubscriptionQueueEvents", "0")]
    [InlineData("SubscriptionQueueBytes", "1024")]
    public async Task Start_InvalidHubSetting_FailsNamingTheSetting(string setting, string value)
    {
        await using var app = new GatewayApiFactory { Pool = new FakeEventPool() };
        app.Settings[$"Gateway:Hub:{setting}"] = value;

        var failure = Assert.ThrowsAny<OptionsValidationException>(() => app.Services);

        Assert.Contains(setting, failure.Message, StringComparison.Ordinal);
    }
}
