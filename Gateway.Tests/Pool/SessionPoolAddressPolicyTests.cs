using Gateway.Tests.Api;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Pool;

/// <summary>With <c>Gateway:Pool:AllowHostOverride</c> off, a JID cannot make the pool reach loopback or private addresses.</summary>
[Trait("Security", "SSRF")]
public sealed class SessionPoolAddressPolicyTests : IAsyncDisposable
{
    private readonly TestLogSink _logs = new();
    private readonly ILoggerFactory _loggers;
    private readonly SessionPool _pool;

    public SessionPoolAddressPolicyTests()
    {
        _loggers = LoggerFactory.Create(b => b.AddProvider(_logs).SetMinimumLevel(LogLevel.Trace));
        _pool = new SessionPool(new SessionPoolOptions { AllowHostOverride = false, ConnectTimeout = TimeSpan.FromSeconds(10) }, _loggers);
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("bot@127.0.0.1")]
    [InlineData("bot@localhost")]
    public async Task CreateAsync_LoopbackDomain_RefusedBeforeConnectingWithGenericDetail(string jid)
    {
        var spec = new SessionSpec { Jid = Jid.Parse(jid), Password = "pw" };

        var ex = await Assert.ThrowsAsync<XmppConnectionException>(() => _pool.CreateAsync("t", spec, Token));

        Assert.Equal($"Could not connect to the XMPP server for {spec.Jid.Domain}.", ex.Message);
        Assert.Contains(_logs.Entries, e => e.EventId.Id == 1010);
        Assert.DoesNotContain(_logs.Entries, e => e.EventId.Id == 1001);
        Assert.Empty(_pool.List("t"));
        _logs.AssertNoErrors();
    }

    [Fact]
    public async Task CreateAsync_PinnedCertificateWithoutHostOverride_Refused()
    {
        var spec = new SessionSpec { Jid = Jid.Parse("bot@127.0.0.1"), Password = "pw", PinnedCertificateSha256 = [new string('A', 64)] };

        await Assert.ThrowsAsync<ArgumentException>(() => _pool.CreateAsync("t", spec, Token));
        Assert.Empty(_pool.List("t"));
    }

    public async ValueTask DisposeAsync()
    {
        await _pool.DisposeAsync();
        _loggers.Dispose();
    }
}
