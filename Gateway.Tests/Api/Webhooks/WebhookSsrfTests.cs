using System.Net;
using System.Net.Sockets;
using Gateway.Api.Webhooks;
using Gateway.Xmpp.Transport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Api.Webhooks;

/// <summary>
/// Server-side request forgery: a delivery never connects to a restricted address unless the operator allows it. The
/// resolver is scripted; the only socket that could be reached is a local listener that must stay untouched.
/// </summary>
[Trait("Tier", "Unit")]
public sealed class WebhookSsrfTests : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public WebhookSsrfTests() => _listener.Start();

    private int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Dispose() => _listener.Dispose();

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("10.1.2.3")]
    [InlineData("172.16.0.1")]
    [InlineData("192.168.1.10")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("::1")]
    [InlineData("fe80::1")]
    [InlineData("fd00::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("0.0.0.0")]
    public async Task Post_HostResolvesToRestrictedAddress_RefusedBeforeConnecting(string address)
    {
        var resolver = new ScriptedResolver(IPAddress.Parse(address));
        using var http = Client(allowPrivate: false, resolver);

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => PostAsync(http, "hooks.example.com", TestContext.Current.CancellationToken));

        var refused = Assert.IsType<WebhookConnectRefusedException>(ex.InnerException);
        Assert.Contains("AllowPrivateAddresses", refused.Message, StringComparison.Ordinal);
        Assert.Equal(["hooks.example.com"], resolver.Asked);
        Assert.False(_listener.Pending());
    }

    [Fact]
    public async Task Post_LiteralLoopbackUrl_RefusedBeforeConnecting()
    {
        using var http = Client(allowPrivate: false, DnsHostAddressResolver.Instance);

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => PostAsync(http, "127.0.0.1", TestContext.Current.CancellationToken));

        Assert.IsType<WebhookConnectRefusedException>(ex.InnerException);
        Assert.False(_listener.Pending());
    }

    [Fact]
    public async Task Post_EveryAddressRestricted_NoneTried()
    {
        var resolver = new ScriptedResolver(IPAddress.Parse("10.0.0.1"), IPAddress.Parse("192.168.0.1"), IPAddress.Loopback);
        using var http = Client(allowPrivate: false, resolver);

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => PostAsync(http, "rebinding.example.com", TestContext.Current.CancellationToken));

        Assert.IsType<WebhookConnectRefusedException>(ex.InnerException);
        Assert.False(_listener.Pending());
    }

    [Fact]
    public async Task Post_NameDoesNotResolve_Refused()
    {
        using var http = Client(allowPrivate: false, new ScriptedResolver());

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => PostAsync(http, "nowhere.example.com", TestContext.Current.CancellationToken));

        Assert.Contains("does not resolve", Assert.IsType<WebhookConnectRefusedException>(ex.InnerException).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_PrivateAddressesAllowed_ConnectsToTheCheckedAddress()
    {
        var resolver = new ScriptedResolver(IPAddress.Loopback);
        using var http = Client(allowPrivate: true, resolver);

        // Nobody answers HTTP on the listener: the attempt connects, then is cut short.
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var post = PostAsync(http, "hooks.example.com", cts.Token);
        using var accepted = await _listener.AcceptTcpClientAsync(TestContext.Current.CancellationToken);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => post);
        Assert.True(accepted.Connected);
    }

    private static WebhookHttpClient Client(bool allowPrivate, IHostAddressResolver resolver) =>
        new(Options.Create(new WebhookOptions { AllowPrivateAddresses = allowPrivate }), NullLogger<WebhookHttpClient>.Instance, resolver);

    private Task<int> PostAsync(WebhookHttpClient http, string host, CancellationToken cancellationToken) =>
        http.PostAsync(new Uri($"http://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{Port}/hook"), "evt_s_1", 1, "v1,x", "{}"u8.ToArray(), cancellationToken);

    private sealed class ScriptedResolver(params IPAddress[] addresses) : IHostAddressResolver
    {
        public List<string> Asked { get; } = [];

        public Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken)
        {
            Asked.Add(host);
            return Task.FromResult<IReadOnlyList<IPAddress>>(addresses);
        }
    }
}
