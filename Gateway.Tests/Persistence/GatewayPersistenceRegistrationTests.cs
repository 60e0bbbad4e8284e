using Gateway.Api.Persistence;
using Gateway.Api.Persistence.Sqlite;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using static Gateway.Tests.Persistence.PersistenceTestKit;

namespace Gateway.Tests.Persistence;

[Trait("Tier", "Unit")]
public sealed class GatewayPersistenceRegistrationTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task AddGatewayPersistence_Defaults_FilesUnderContentRootOneStoreForEveryInterface()
    {
        await using var host = StoreHost.Create(_directory.Path);

        var options = host.Services.GetRequiredService<IOptions<GatewayStorageOptions>>().Value;
        Assert.Equal(_directory.Combine("gateway.db"), options.Path);
        Assert.Equal(_directory.Combine("keys"), options.KeysPath);
        Assert.Equal(10_000, options.EventRetentionCount);
        Assert.Equal(TimeSpan.FromDays(7), options.EventRetentionAge);
        Assert.Equal(TimeSpan.FromMinutes(5), options.TrimInterval);
        var store = host.Store;
        Assert.Same(store, host.Services.GetRequiredService<IPoolStore>());
        Assert.Same(store, host.Services.GetRequiredService<ISessionStore>());
        Assert.Same(store, host.Services.GetRequiredService<IEventLog>());
        Assert.Same(store, host.Services.GetRequiredService<IOutbox>());
        Assert.Contains(host.Services.GetServices<IHostedService>(), s => s is EventLogTrimService);
        host.AssertNoErrors();
    }

    [Fact]
    public async Task AddGatewayPersistence_RelativePaths_ResolvedAgainstContentRoot()
    {
        await using var host = StoreHost.Create(_directory.Path, new Dictionary<string, string?>
        {
            ["Gateway:Storage:Path"] = "data/gw.db",
            ["Gateway:Storage:KeysPath"] = "secrets/dp",
            ["Gateway:Storage:EventRetentionCount"] = "50",
        });

        var options = host.Services.GetRequiredService<IOptions<GatewayStorageOptions>>().Value;

        Assert.Equal(_directory.Combine("data", "gw.db"), options.Path);
        Assert.Equal(_directory.Combine("secrets", "dp"), options.KeysPath);
        Assert.Equal(50, options.EventRetentionCount);
        Assert.Equal(options.Path, host.Store.DatabasePath);
    }

    [Fact]
    public async Task SaveAsync_ThroughTheApp_KeyRingPersistedOwnerOnlyBesideTheDatabase()
    {
        await using var host = StoreHost.Create(_directory.Path);

        await host.Store.SaveAsync(new StoredSession("t", "s", new SessionSpec { Jid = Jid.Parse("a@example.com"), Password = "p" }, T0), Token);

        var keys = _directory.Combine("keys");
        Assert.NotEmpty(Directory.GetFiles(keys, "key-*.xml"));
        host.AssertNoErrors();
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(keys));
        }
    }

    [Fact]
    public async Task StartAsync_ValidSettings_HostStartsTrimsAndStopsCleanly()
    {
        await using var host = StoreHost.Create(_directory.Path);
        // Received now: the trim the service runs at start (7 days by default) keeps them.
        var now = DateTimeOffset.UtcNow;
        await host.Store.CommitEventsAsync([Event("t", "s", 1, now), Event("t", "s", 2, now), Event("t", "s", 3, now)]);

        await host.StartAsync(Token);
        await host.Store.TrimAsync(2, DateTimeOffset.MinValue, Token);
        await host.StopAsync(Token);

        Assert.Equal([2L, 3], (await host.Store.ReadAsync("t", "s", 0, 10)).Events.Select(e => e.EventId));
        host.AssertNoErrors();
    }

    [Theory]
    [InlineData("EventRetentionCount", "0", "Gateway:Storage:EventRetentionCount must be between")]
    [InlineData("EventRetentionAge", "00:00:10", "Gateway:Storage:EventRetentionAge must be between")]
    [InlineData("EventRetentionBytes", "1000", "Gateway:Storage:EventRetentionBytes must be between")]
    [InlineData("TrimInterval", "00:00:00", "Gateway:Storage:TrimInterval must be between")]
    [InlineData("Path", "", "Gateway:Storage:Path must name the database file")]
    [InlineData("Path", ".", "Gateway:Storage:Path '")]
    public async Task AddGatewayPersistence_InvalidSetting_StartUpFailsNamingIt(string key, string value, string expected)
    {
        await using var host = StoreHost.Create(_directory.Path, new Dictionary<string, string?> { [$"Gateway:Storage:{key}"] = value });
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Token));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
