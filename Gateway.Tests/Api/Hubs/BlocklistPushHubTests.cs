using Gateway.Api.Contracts;
using Gateway.Api.Hubs;
using Gateway.Tests.Integration.Prosody;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Api.Hubs;

/// <summary>
/// XEP-0191 blocklist pushes reach hub subscribers as <c>OnBlocklistPush</c>, without the application ever asking for the
/// blocklist (the session asks on each new stream: only interested resources get pushes, §3.2).
/// </summary>
[Trait("Tier", "Integration")]
public sealed class BlocklistPushHubTests(ProsodyFixture prosody) : HubEndToEndTest(prosody)
{
    [Fact]
    [Trait("Spec", "XEP-0191 §3.3")]
    public async Task BlockAndUnblockAll_ArriveAsBlocklistPushEvents()
    {
        var (session, _) = await CreateSessionWithAccountAsync("alice");
        var (connection, events) = await ConnectAsync();
        await connection.InvokeAsync<SubscriptionDto>("Subscribe", session.Id, Token);
        using var client = App.CreateAlphaClient();

        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await client.PutAsync($"/api/v1/sessions/{session.Id}/blocklist/spam.example", null, Token)).StatusCode);
        var blocked = await events.NextAsync<BlocklistPushDto>();

        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/v1/sessions/{session.Id}/blocklist", Token)).StatusCode);
        var unblocked = await events.NextAsync<BlocklistPushDto>();

        Assert.Equal((EventKinds.BlocklistPush, "block", "spam.example"), (blocked.Kind, blocked.Data.Action, Assert.Single(blocked.Data.Jids)));
        Assert.Equal(("unblock", 0), (unblocked.Data.Action, unblocked.Data.Jids.Count));
    }
}
