using System.Collections.Concurrent;
using Gateway.Api.Configuration;
using Gateway.Tests.Api.Fakes;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Api.Configuration;

[Trait("Tier", "Unit")]
public sealed class GatewayOptionsValidatorTests
{
    private static readonly string Hash = GatewayApiFactory.Sha256Hex("key");

    private static GatewayOptions Valid() => new()
    {
        Tenants = [new TenantOptions { Name = "acme", ApiKeySha256 = [Hash] }],
        Accounts = [new AccountOptions { Tenant = "acme", Id = "bot", Jid = "bot@example.com", Password = "pw" }],
    };

    private static IReadOnlyList<string> Failures(GatewayOptions options) =>
        new GatewayOptionsValidator().Validate(null, options) is { Failed: true } result ? [.. result.Failures!] : [];

    [Fact]
    public void Validate_ValidOptions_Succeeds() => Assert.Empty(Failures(Valid()));

    [Fact]
    public void Validate_Empty_Succeeds() => Assert.Empty(Failures(new GatewayOptions()));

    public static TheoryData<string, Action<GatewayOptions>> Broken => new()
    {
        { "Gateway:Tenants:0:Name", o => o.Tenants[0].Name = "" },
        { "Gateway:Tenants:0:Name", o => o.Tenants[0].Name = "has space" },
        { "Gateway:Tenants:1:Name", o => o.Tenants.Add(new TenantOptions { Name = "acme", ApiKeySha256 = [GatewayApiFactory.Sha256Hex("other")] }) },
        { "Gateway:Tenants:0:ApiKeySha256 must list", o => o.Tenants[0].ApiKeySha256.Clear() },
        { "Gateway:Tenants:0:ApiKeySha256:0", o => o.Tenants[0].ApiKeySha256[0] = "demo-key-CHANGE-ME" },
        { "Gateway:Tenants:1:ApiKeySha256:0", o => o.Tenants.Add(new TenantOptions { Name = "other", ApiKeySha256 = [Hash.ToUpperInvariant()] }) },
        { "Gateway:Accounts:0:Tenant", o => o.Accounts[0].Tenant = "nobody" },
        { "Gateway:Accounts:0:Id", o => o.Accounts[0].Id = "no/slash" },
        { "Gateway:Accounts:1:Id", o => o.Accounts.Add(new AccountOptions { Tenant = "acme", Id = "bot", Jid = "b@example.com", Password = "pw" }) },
        { "Gateway:Accounts:0:Jid", o => o.Accounts[0].Jid = "example.com" },
        { "Gateway:Accounts:0:Jid", o => o.Accounts[0].Jid = "a@@b" },
        { "Gateway:Accounts:0:Password", o => o.Accounts[0].Password = "" },
        { "Gateway:Accounts:0:Port", o => o.Accounts[0].Port = 70000 },
        { "Gateway:Accounts:0:TlsMode", o => o.Accounts[0].TlsMode = "maybe" },
        { "Gateway:Pool:AllowHostOverride", o => o.Accounts[0].Host = "127.0.0.1" },
        { "Gateway:Pool:MaxSessions", o => o.Pool = o.Pool with { MaxSessions = 0 } },
        { "Gateway:Pool:RespondTo", o => o.Pool = o.Pool with { RespondTo = (RespondTo)7 } },
        { "Gateway:Pool:MaxSessionsPerTenant", o => TwoTenantsOneMayFillThePool(o) },
        { "Gateway:Tenants:0:ApiKeys:0:Scopes must list", o => o.Tenants[0].ApiKeys.Add(new ApiKeyOptions { Sha256 = GatewayApiFactory.Sha256Hex("k2") }) },
        { "Gateway:Tenants:0:ApiKeys:0:Scopes:0", o => o.Tenants[0].ApiKeys.Add(new ApiKeyOptions { Sha256 = GatewayApiFactory.Sha256Hex("k2"), Scopes = ["write"] }) },
        { "Gateway:Tenants:0:ApiKeys:0:Sha256 is configured twice", o => o.Tenants[0].ApiKeys.Add(new ApiKeyOptions { Sha256 = Hash, Scopes = ["read"] }) },
        { "Gateway:Pool:ReconnectMaxDelay", o => o.Pool = o.Pool with { ReconnectMaxDelay = TimeSpan.Zero } },
        { "Gateway:Pool:PolicyViolationDelay", o => o.Pool = o.Pool with { PolicyViolationDelay = TimeSpan.Zero } },
        { "Gateway:Pool:ScramMinIterations", o => o.Pool = o.Pool with { ScramMinIterations = 0 } },
        { "Gateway:Pool:ScramMaxIterations", o => o.Pool = o.Pool with { ScramMaxIterations = 1000 } },
        { "Gateway:Pool:MaxConcurrentKeyDerivations", o => o.Pool = o.Pool with { MaxConcurrentKeyDerivations = 0 } },
        { "Gateway:Pool:PolicyViolationDelay", o => o.Pool = o.Pool with { PolicyViolationDelay = TimeSpan.FromDays(2) } },
        { "Gateway:Pool:MaxStanzaBytes", o => o.Pool = o.Pool with { MaxStanzaBytes = 1_000 } },
        { "Gateway:Pool:MaxQueuedBytesPerTenant", o => o.Pool = o.Pool with { MaxQueuedBytesPerTenant = 0 } },
        { "Gateway:Pool:InboundStanzasPerSecond", o => o.Pool = o.Pool with { InboundStanzasPerSecond = -1 } },
        { "Gateway:Pool:InboundBytesPerSecond", o => o.Pool = o.Pool with { InboundBytesPerSecond = 1_000 } },
        { "Gateway:Pool:MaxPendingIqRequests", o => o.Pool = o.Pool with { MaxPendingIqRequests = 0 } },
        { "Gateway:Pool:TrustedCertificatePaths:0", o => o.TrustedCertificatePaths.Add("/nonexistent/cert.pem") },
    };

    [Fact]
    public void Validate_OneTenantMayHoldTheWholePool_Succeeds()
    {
        var options = Valid();
        options.Pool = options.Pool with { MaxSessionsPerTenant = options.Pool.MaxSessions };

        Assert.Empty(Failures(options));
    }

    private static void TwoTenantsOneMayFillThePool(GatewayOptions options)
    {
        options.Tenants.Add(new TenantOptions { Name = "other", ApiKeySha256 = [GatewayApiFactory.Sha256Hex("other")] });
        options.Pool = options.Pool with { MaxSessionsPerTenant = options.Pool.MaxSessions };
    }

    [Theory]
    [MemberData(nameof(Broken))]
    public void Validate_BrokenSetting_MessageNamesIt(string setting, Action<GatewayOptions> breakIt)
    {
        var options = Valid();
        breakIt(options);

        var failures = Failures(options);

        Assert.Contains(failures, f => f.Contains(setting, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_KeyInClearInsteadOfHash_DoesNotEchoIt()
    {
        var options = Valid();
        options.Tenants[0].ApiKeySha256[0] = "my-very-secret-api-key";

        var failures = Failures(options);

        Assert.DoesNotContain(failures, f => f.Contains("my-very-secret-api-key", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Startup_WithBadSetting_FailsNamingIt()
    {
        await using var app = new GatewayApiFactory { Pool = new FakeSessionPool() };
        app.Settings["Gateway:Tenants:1:ApiKeySha256:0"] = "not-a-hash";

        var ex = Assert.ThrowsAny<OptionsValidationException>(() => app.CreateClient(apiKey: null));

        Assert.Contains("Gateway:Tenants:1:ApiKeySha256:0", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>The pool's on/off settings that a session spec may override, by configuration key.</summary>
    private static bool PoolSwitch(SessionPoolOptions options, string name) => name switch
    {
        nameof(SessionPoolOptions.Carbons) => options.Carbons,
        nameof(SessionPoolOptions.RequestReceipts) => options.RequestReceipts,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Not a pool switch."),
    };

    [Theory]
    [Trait("Spec", "XEP-0280 §4, XEP-0184")]
    [InlineData(nameof(SessionPoolOptions.Carbons))]
    [InlineData(nameof(SessionPoolOptions.RequestReceipts))]
    public async Task Startup_PoolSwitch_OnByDefaultAndSwitchable(string name)
    {
        Assert.True(PoolSwitch(new SessionPoolOptions(), name));
        await using var app = new GatewayApiFactory { Pool = new FakeSessionPool() };
        app.Settings[$"Gateway:Pool:{name}"] = "false";
        using var _ = app.CreateClient(apiKey: null);

        Assert.False(PoolSwitch(app.Services.GetRequiredService<SessionPoolOptions>(), name));
    }

    [Theory]
    [InlineData(nameof(SessionPoolOptions.Carbons))]
    [InlineData(nameof(SessionPoolOptions.RequestReceipts))]
    public async Task Startup_PoolSwitchNotABoolean_Fails(string name)
    {
        await using var app = new GatewayApiFactory { Pool = new FakeSessionPool() };
        app.Settings[$"Gateway:Pool:{name}"] = "sometimes";

        var ex = Assert.ThrowsAny<Exception>(() => app.CreateClient(apiKey: null));

        Assert.Contains(name, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Startup_PoolSettingsAndCertificates_ReachThePool()
    {
        var directory = Directory.CreateTempSubdirectory("gateway-test-");
        var path = Path.Combine(directory.FullName, "server.crt");
        using var certificate = Integration.Prosody.TestCertificate.Create("gateway.test", path, Path.Combine(directory.FullName, "server.key"));
        try
        {
            await using var app = new GatewayApiFactory { Pool = new FakeSessionPool() };
            app.Settings["Gateway:Pool:MaxSessionsPerTenant"] = "7";
            app.Settings["Gateway:Pool:IqTimeout"] = "00:00:09";
            app.Settings["Gateway:Pool:RespondTo"] = "Anyone";
            app.Settings["Gateway:Pool:TrustedCertificatePaths:0"] = path;
            using var _ = app.CreateClient(apiKey: null);

            var options = app.Services.GetRequiredService<SessionPoolOptions>();

            Assert.Equal(7, options.MaxSessionsPerTenant);
            Assert.Equal(TimeSpan.FromSeconds(9), options.IqTimeout);
            Assert.Equal(RespondTo.Anyone, options.RespondTo);
            Assert.Equal(RespondTo.Subscribed, new SessionPoolOptions().RespondTo);
            Assert.True(options.AllowHostOverride);
            var trusted = Assert.Single(options.TrustedCertificates!);
            Assert.Equal(certificate.Thumbprint, trusted.Thumbprint);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Startup_ConfiguredAccounts_AreCreatedInTheirTenant()
    {
        var created = new TaskCompletionSource<(string Tenant, SessionSpec Spec)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var pool = new FakeSessionPool();
        pool.OnCreate = (tenant, spec, _) =>
        {
            created.TrySetResult((tenant, spec));
            return Task.FromResult(pool.Add(tenant, spec.Id!, spec.Jid.ToString()).Info);
        };
        await using var app = new GatewayApiFactory { Pool = pool };
        app.Settings["Gateway:Accounts:0:Tenant"] = GatewayApiFactory.BetaTenant;
        app.Settings["Gateway:Accounts:0:Id"] = "service-bot";
        app.Settings["Gateway:Accounts:0:Jid"] = "bot@example.com/worker";
        app.Settings["Gateway:Accounts:0:Password"] = "pw";
        app.Settings["Gateway:Accounts:0:TlsMode"] = "direct-tls";
        using var _ = app.CreateClient(apiKey: null);

        var (tenant, spec) = await created.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.Equal(GatewayApiFactory.BetaTenant, tenant);
        Assert.Equal("service-bot", spec.Id);
        Assert.Equal("bot@example.com", spec.Jid.ToString());
        Assert.Equal("worker", spec.Resource);
        Assert.Equal(TlsMode.DirectTls, spec.TlsMode);
    }

    [Fact]
    public async Task Startup_FailingAccount_IsLoggedAndTheGatewayKeepsRunning()
    {
        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pool = new FakeSessionPool
        {
            OnCreate = (_, _, _) =>
            {
                failed.TrySetResult();
                throw new SaslFailedException(SaslConditions.NotAuthorized);
            },
        };
        await using var app = new GatewayApiFactory { Pool = pool };
        app.Settings["Gateway:Accounts:0:Tenant"] = GatewayApiFactory.AlphaTenant;
        app.Settings["Gateway:Accounts:0:Id"] = "broken";
        app.Settings["Gateway:Accounts:0:Jid"] = "bot@example.com";
        app.Settings["Gateway:Accounts:0:Password"] = "account-password-secret";
        using var client = app.CreateClient(apiKey: null);
        await failed.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        var health = await client.GetAsync("/health", TestContext.Current.CancellationToken);

        Assert.True(health.IsSuccessStatusCode);
        var logged = await EventuallyAsync(() => app.Logs.Entries.FirstOrDefault(e => e.EventId.Id == 5023));
        Assert.Contains("alpha/broken", logged.Message, StringComparison.Ordinal);
        Assert.Contains("not-authorized", logged.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(app.Logs.Entries, e => e.AllText.Contains("account-password-secret", StringComparison.Ordinal));
    }

    private static async Task<T> EventuallyAsync<T>(Func<T?> probe)
        where T : class
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        while (probe() is null)
        {
            await timer.WaitForNextTickAsync(timeout.Token);
        }

        return probe()!;
    }
}
