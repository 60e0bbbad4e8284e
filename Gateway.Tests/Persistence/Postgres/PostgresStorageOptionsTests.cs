using Gateway.Api.Persistence;
using Gateway.Api.Persistence.Sqlite;
using Gateway.Xmpp.Pool.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static Gateway.Tests.Persistence.PersistenceTestKit;

namespace Gateway.Tests.Persistence.Postgres;

/// <summary>Gateway:Storage:Provider and ConnectionString: checked at start-up, the password never in a message. No server needed.</summary>
[Trait("Tier", "Unit")]
public sealed class PostgresStorageOptionsTests : IDisposable
{
    private const string Password = "pw-5e3c1f0a-never-shown";

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(null, "Gateway:Storage:ConnectionString is required with Gateway:Storage:Provider=Postgres")]
    [InlineData("Host=db;Username=gateway;Password=" + Password + ";NoSuchKeyword=1", "Gateway:Storage:ConnectionString is not a valid Npgsql connection string")]
    [InlineData("Username=gateway;Password=" + Password, "Gateway:Storage:ConnectionString must name the server (Host=…)")]
    [InlineData("Host=db;Password=" + Password, "Gateway:Storage:ConnectionString must name the user (Username=…)")]
    public async Task StartAsync_PostgresWithoutAUsableConnectionString_FailsNamingTheSettingNotThePassword(string? connectionString, string expected)
    {
        await using var host = StoreHost.Create(_directory.Path, new Dictionary<string, string?>
        {
            ["Gateway:Storage:Provider"] = "Postgres",
            ["Gateway:Storage:ConnectionString"] = connectionString,
        });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Token));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(host.Logs.GetSnapshot(), record => record.Message.Contains(Password, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_PostgresWithHostAndUser_Succeeds()
    {
        var result = new GatewayStorageOptionsValidator().Validate(null, new GatewayStorageOptions
        {
            Provider = GatewayStorageProvider.Postgres,
            ConnectionString = $"Host=db.internal;Port=5432;Database=gateway;Username=gateway;Password={Password}",
        });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_UnknownProviderNumber_FailsNamingTheChoices()
    {
        var result = new GatewayStorageOptionsValidator().Validate(null, new GatewayStorageOptions { Provider = (GatewayStorageProvider)7 });

        Assert.Contains("Gateway:Storage:Provider must be Sqlite or Postgres", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddGatewayPersistence_ProviderUnset_SqliteAsBefore()
    {
        await using var host = StoreHost.Create(_directory.Path);

        Assert.Equal(GatewayStorageProvider.Sqlite, host.Services.GetRequiredService<IOptions<GatewayStorageOptions>>().Value.Provider);
        Assert.IsType<SqliteGatewayStore>(host.Services.GetRequiredService<IPoolStore>());
    }
}
