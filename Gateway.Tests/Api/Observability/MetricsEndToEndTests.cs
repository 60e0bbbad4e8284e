using Gateway.Api.Contracts;
using Gateway.Tests.Integration.Prosody;
using Gateway.Tests.Support;

namespace Gateway.Tests.Api.Observability;

/// <summary>/metrics scraped while the gateway sends through a real Prosody: the counters move.</summary>
[Trait("Tier", "Integration")]
public sealed class MetricsEndToEndTests(ProsodyFixture prosody)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Spec", "XEP-0198 §4")]
    public async Task Scrape_AfterSendAcknowledged_ShowsSentAckedAcceptedAndSessionOnline_AndSessionWorkLogsInItsScope()
    {
        var (alice, bob) = (await prosody.CreateAccountAsync("alice", Token), await prosody.CreateAccountAsync("bob", Token));
        await using var app = MetricsEndpointTests.WithPrometheus(new GatewayApiFactory(prosody.Server));
        using var client = app.CreateAlphaClient();
        using var scraper = MetricsEndpointTests.CreateScraper(app);
        await Gateway.Tests.Api.Hubs.HubTestKit.CreateSessionAsync(app, prosody.Server, alice, "metrics", resource: "gateway");
        var before = await ScrapeAsync(scraper);

        var response = await client.PostJsonAsync("/api/v1/sessions/metrics/messages?wait=server", new PostMessageRequest { To = bob.Bare, Body = "counted" });
        Assert.True((await response.ReadAsync<StanzaAcceptedDto>(202)).AckedByServer);

        // The exporter caches a scrape briefly: ask again until this send shows.
        var after = before;
        await Eventually.WaitUntilAsync(() =>
        {
            after = ScrapeAsync(scraper).GetAwaiter().GetResult();
            return after.Sum("gateway_api_sends_accepted_total", "endpoint=\"message\"") > before.Sum("gateway_api_sends_accepted_total", "endpoint=\"message\"");
        });

        Assert.True(after.Sum("gateway_xmpp_stanzas_sent_total", "kind=\"message\"") > before.Sum("gateway_xmpp_stanzas_sent_total", "kind=\"message\""), after.Text);
        Assert.True(after.Sum("gateway_xmpp_stanzas_acknowledged_total") > before.Sum("gateway_xmpp_stanzas_acknowledged_total"), after.Text);
        Assert.True(after.Sum("gateway_xmpp_sessions", "state=\"online\"") >= 1, after.Text);
        Assert.True(after.Sum("gateway_xmpp_connections_total", "outcome=\"initial\"") >= 1, after.Text);
        Assert.True(after.Sum("gateway_xmpp_journal_commit_duration_seconds_count") >= 1, after.Text);
        Assert.True(after.Sum("gateway_xmpp_outbound_handoff_duration_seconds_count") > before.Sum("gateway_xmpp_outbound_handoff_duration_seconds_count"), after.Text);
        Assert.True(after.Sum("gateway_xmpp_outbound_acknowledgement_duration_seconds_count") > before.Sum("gateway_xmpp_outbound_acknowledgement_duration_seconds_count"), after.Text);
        Assert.True(after.Has("gateway_xmpp_outbound_unacknowledged"), after.Text);
        Assert.DoesNotContain(alice.Password, after.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(alice.Bare, after.Text, StringComparison.Ordinal); // ids and states only, never a JID

        // The session's background work (its connection loop, here: coming online) logs in the session's scope.
        var sessionWork = app.Logs.Entries.Where(e => e.Category.EndsWith("ReconnectingXmppClient", StringComparison.Ordinal)).ToList();
        Assert.Contains(sessionWork, e => e.State.Contains("Tenant:alpha SessionId:metrics", StringComparison.Ordinal));
        // ...and in nothing of the request that created the session, which ended long before the work does.
        Assert.DoesNotContain(sessionWork, e => e.State.Contains("RequestPath:", StringComparison.Ordinal) || e.State.Contains("TraceId:", StringComparison.Ordinal));
        app.Logs.AssertNoErrors();
    }

    private static async Task<PrometheusText> ScrapeAsync(HttpClient scraper)
    {
        var response = await scraper.GetAsync("/metrics", Token);
        response.EnsureSuccessStatusCode();
        return new PrometheusText(await response.Content.ReadAsStringAsync(Token));
    }
}
