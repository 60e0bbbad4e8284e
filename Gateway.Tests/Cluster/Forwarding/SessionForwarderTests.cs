using System.Net;
using System.Text;
using Gateway.Api.Cluster.Forwarding;
using Gateway.Tests.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Cluster.Forwarding;

/// <summary>
/// <see cref="SessionForwarder"/> against a stand-in owner (a bare Kestrel on loopback that echoes what it got): what
/// crosses, what does not, and how each failure is reported. No XMPP server, no cluster.
/// </summary>
[Trait("Tier", "Unit")]
public sealed class SessionForwarderTests : IAsyncLifetime
{
    private readonly TaskCompletionSource _neverAnswered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication? _owner;
    private Uri _ownerAddress = null!;

    public async ValueTask InitializeAsync()
    {
        var port = GatewayApiFactory.FreeLoopbackPort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        _owner = builder.Build();
        _owner.MapGet("/slow", async (HttpContext context) => await _neverAnswered.Task.WaitAsync(context.RequestAborted));
        _owner.Map("/{**rest}", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            var headers = string.Join('\n', context.Request.Headers.OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase).Select(h => $"{h.Key}: {h.Value}"));
            context.Response.StatusCode = StatusCodes.Status202Accepted;
            context.Response.Headers["Retry-After"] = "7";
            context.Response.Headers["X-Owner"] = "yes";
            await context.Response.WriteAsync($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString}\n{headers}\n\n{body}", context.RequestAborted);
        });
        await _owner.StartAsync(TestContext.Current.CancellationToken);
        _ownerAddress = new Uri($"http://127.0.0.1:{port}/");
    }

    public async ValueTask DisposeAsync()
    {
        _neverAnswered.TrySetCanceled();
        if (_owner is not null)
        {
            await _owner.DisposeAsync();
        }
    }

    [Fact]
    public async Task Forward_SendsMethodPathQueryHeadersAndBody_AndStreamsTheAnswerBack()
    {
        using var forwarder = Forwarder();
        var context = Caller("POST", "/api/v1/sessions/s/messages", "?wait=server", "{\"to\":\"bob@localhost\"}");
        context.Request.Headers["X-Api-Key"] = "alpha-key";
        context.Request.Headers["Idempotency-Key"] = "order-1";
        context.Request.Headers["Connection"] = "X-Hop";
        context.Request.Headers["X-Hop"] = "no";
        context.Request.Headers[ForwardingMarker.HeaderName] = "from the caller";

        var outcome = await forwarder.ForwardAsync(context, SessionForwarder.TargetUri(_ownerAddress, context.Request.Path, context.Request.QueryString), "node-marker");

        Assert.Equal(ForwardOutcome.Answered, outcome);
        Assert.Equal(StatusCodes.Status202Accepted, context.Response.StatusCode);
        Assert.Equal("7", context.Response.Headers["Retry-After"]);
        Assert.Equal("yes", context.Response.Headers["X-Owner"]);
        var echoed = Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());
        Assert.StartsWith("POST /api/v1/sessions/s/messages?wait=server\n", echoed, StringComparison.Ordinal);
        Assert.Contains("\nX-Api-Key: alpha-key\n", echoed, StringComparison.Ordinal);
        Assert.Contains("\nIdempotency-Key: order-1\n", echoed, StringComparison.Ordinal);
        Assert.Contains($"\n{ForwardingMarker.HeaderName}: node-marker\n", echoed, StringComparison.Ordinal);
        Assert.Contains("\nContent-Type: application/json\n", echoed, StringComparison.Ordinal);
        Assert.DoesNotContain("X-Hop", echoed, StringComparison.Ordinal);
        Assert.DoesNotContain("from the caller", echoed, StringComparison.Ordinal);
        Assert.EndsWith("\n\n{\"to\":\"bob@localhost\"}", echoed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forward_NobodyListening_IsNotConnected_AndTheBodyIsUntouched()
    {
        using var forwarder = Forwarder();
        var context = Caller("POST", "/api/v1/sessions/s/messages", "", "{}");
        var closed = new Uri($"http://127.0.0.1:{GatewayApiFactory.FreeLoopbackPort()}/");

        var outcome = await forwarder.ForwardAsync(context, SessionForwarder.TargetUri(closed, context.Request.Path, context.Request.QueryString), "m");

        Assert.Equal(ForwardOutcome.NotConnected, outcome);
        Assert.Equal(0, context.Request.Body.Position);
        Assert.Equal(0, context.Response.Body.Length);
    }

    [Fact]
    public async Task Forward_OwnerSilentPastTheResponseTimeout_IsNoAnswer()
    {
        using var forwarder = Forwarder(responseTimeout: TimeSpan.FromMilliseconds(300));
        var context = Caller("GET", "/slow", "", null);

        var outcome = await forwarder.ForwardAsync(context, SessionForwarder.TargetUri(_ownerAddress, context.Request.Path, context.Request.QueryString), "m");

        Assert.Equal(ForwardOutcome.NoAnswer, outcome);
        Assert.Equal(0, context.Response.Body.Length);
    }

    private static SessionForwarder Forwarder(TimeSpan? responseTimeout = null) =>
        new(Options.Create(new ClusterForwardingOptions { ResponseTimeout = responseTimeout ?? TimeSpan.FromSeconds(30) }));

    private static DefaultHttpContext Caller(string method, string path, string query, string? body)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Path = path;
        context.Request.QueryString = new QueryString(query.Length == 0 ? null : query);
        if (body is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Request.Body = new MemoryStream(bytes);
            context.Request.ContentLength = bytes.Length;
            context.Request.ContentType = "application/json";
        }

        context.Response.Body = new MemoryStream();
        return context;
    }
}
