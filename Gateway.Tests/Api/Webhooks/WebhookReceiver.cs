using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace Gateway.Tests.Api.Webhooks;

/// <summary>One request the receiver got, with what verifying its signature said.</summary>
internal sealed record ReceivedWebhook(string Path, string Id, string Timestamp, string Signature, string Body, bool Verified, string? VerifyError)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();

    public long EventId => Json.GetProperty("data").GetProperty("eventId").GetInt64();

    public string SessionId => Json.GetProperty("data").GetProperty("sessionId").GetString()!;

    public string Type => Json.GetProperty("type").GetString()!;
}

/// <summary>
/// A real HTTP receiver on 127.0.0.1 (Kestrel, a free port) that records every request and verifies its signature
/// with the StandardWebhooks library (not the gateway's code). <see cref="Respond"/> chooses each answer.
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();

    private WebhookReceiver(WebApplication app)
    {
        _app = app;
    }

    /// <summary>Every request, in arrival order.</summary>
    public ConcurrentQueue<ReceivedWebhook> Received { get; } = new();

    /// <summary>The secret(s) to verify with; a request is verified when any of them accepts it.</summary>
    public IReadOnlyList<string> Secrets { get; set; } = [];

    /// <summary>Chooses the status for a request (after it is recorded); 200 by default. May wait (a hanging endpoint).</summary>
    public Func<ReceivedWebhook, CancellationToken, Task<int>> Respond { get; set; } = (_, _) => Task.FromResult(200);

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The URL of a path on this receiver.</summary>
    public string Url(string path = "/hook") => new Uri(BaseAddress, path).ToString();

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/{**path}", receiver.HandleAsync);
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.BaseAddress = new Uri(address);
        return receiver;
    }

    public ReceivedWebhook[] Snapshot() => [.. Received];

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        _stopping.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        string? error = null;
        var verified = false;
        foreach (var secret in Secrets)
        {
            try
            {
                new StandardWebhook(secret).Verify(body, context.Request.Headers);
                verified = true;
                break;
            }
            catch (WebhookVerificationException ex)
            {
                error = ex.Message;
            }
        }

        var received = new ReceivedWebhook(
            context.Request.Path,
            context.Request.Headers["webhook-id"].ToString(),
            context.Request.Headers["webhook-timestamp"].ToString(),
            context.Request.Headers["webhook-signature"].ToString(),
            body,
            verified,
            error);
        Received.Enqueue(received);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        int status;
        try
        {
            status = await Respond(received, linked.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        context.Response.StatusCode = status;
    }
}
