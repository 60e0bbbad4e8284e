using System.Collections.Concurrent;
using System.Diagnostics;
using Gateway.Api.Contracts;
using Gateway.Tests.Integration.Prosody;
using Gateway.Tests.Support;
using Gateway.Xmpp.Diagnostics;

namespace Gateway.Tests.Api.Observability;

/// <summary>REST send → queue → socket → server acknowledgement as one trace, through a real Prosody.</summary>
[Trait("Tier", "Integration")]
public sealed class TracingEndToEndTests(ProsodyFixture prosody) : IDisposable
{
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener = new()
    {
        ShouldListenTo = source => source.Name is XmppTelemetry.ActivitySourceName or "Microsoft.AspNetCore",
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Spec", "XEP-0198 §4")]
    public async Task SendMessage_WaitServer_OutboundActivityIsChildOfTheRequestAndEndsAcked()
    {
        _listener.ActivityStopped = _stopped.Enqueue;
        ActivitySource.AddActivityListener(_listener);
        var (alice, bob) = (await prosody.CreateAccountAsync("alice", Token), await prosody.CreateAccountAsync("bob", Token));
        await using var app = new GatewayApiFactory(prosody.Server);
        using var client = app.CreateAlphaClient();
        await Gateway.Tests.Api.Hubs.HubTestKit.CreateSessionAsync(app, prosody.Server, alice, "traced", resource: "gateway");

        var response = await client.PostJsonAsync("/api/v1/sessions/traced/messages?wait=server", new PostMessageRequest { To = bob.Bare, Body = "traced" });
        var accepted = await response.ReadAsync<StanzaAcceptedDto>(202);

        await Eventually.WaitUntilAsync(() => _stopped.Any(a => Equals(a.GetTagItem("xmpp.stanza.id"), accepted.Id)));
        var send = _stopped.Single(a => Equals(a.GetTagItem("xmpp.stanza.id"), accepted.Id));
        Assert.Equal(["queued", "written", "acked"], send.Events.Select(e => e.Name));
        Assert.Equal(ActivityStatusCode.Ok, send.Status);
        await Eventually.WaitUntilAsync(() => _stopped.Any(a => a.SpanId == send.ParentSpanId));
        var request = _stopped.Single(a => a.SpanId == send.ParentSpanId);
        Assert.Equal("Microsoft.AspNetCore", request.Source.Name);
        Assert.Equal(send.TraceId, request.TraceId);
        Assert.Equal("Microsoft.AspNetCore.Hosting.HttpRequestIn", request.OperationName);
        Assert.True(send.StartTimeUtc >= request.StartTimeUtc);
    }

    public void Dispose() => _listener.Dispose();
}
