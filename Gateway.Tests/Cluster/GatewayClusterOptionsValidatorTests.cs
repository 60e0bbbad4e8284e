using Gateway.Api.Cluster;

namespace Gateway.Tests.Cluster;

[Trait("Tier", "Unit")]
public sealed class GatewayClusterOptionsValidatorTests
{
    private static readonly GatewayClusterOptionsValidator Validator = new();

    [Fact]
    public void Validate_Defaults_SucceedWithModeNone()
    {
        var options = new GatewayClusterOptions();

        Assert.Equal(ClusterMode.None, options.Mode);
        Assert.True(Validator.Validate(null, options).Succeeded);
    }

    [Fact]
    public void Validate_LocalhostWithDefaults_Succeeds() =>
        Assert.True(Validator.Validate(null, new GatewayClusterOptions { Mode = ClusterMode.Localhost }).Succeeded);

    [Fact]
    public void Validate_RedisWithoutConnectionString_NamesTheSetting()
    {
        var result = Validator.Validate(null, new GatewayClusterOptions { Mode = ClusterMode.Redis });

        Assert.True(result.Failed);
        Assert.Contains("Gateway:Cluster:RedisConnectionString is required", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_BadRedisConnectionString_DoesNotRepeatIt()
    {
        const string secret = "s3cret-pa55";
        var result = Validator.Validate(null, new GatewayClusterOptions { Mode = ClusterMode.Redis, RedisConnectionString = $",password={secret},nonsense-option=1" });

        Assert.True(result.Failed);
        Assert.Contains("Gateway:Cluster:RedisConnectionString", result.FailureMessage, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RedisConnectionStringWithoutRedisMode_Fails() =>
        Assert.True(Validator.Validate(null, new GatewayClusterOptions { Mode = ClusterMode.Localhost, RedisConnectionString = "127.0.0.1:6379" }).Failed);

    [Theory]
    [InlineData(-1, 0, "SiloPort")]
    [InlineData(70000, 0, "SiloPort")]
    [InlineData(0, 65536, "GatewayPort")]
    [InlineData(11111, 11111, "must differ")]
    public void Validate_BadPorts_NameTheSetting(int siloPort, int gatewayPort, string expected)
    {
        var result = Validator.Validate(null, new GatewayClusterOptions { Mode = ClusterMode.Localhost, SiloPort = siloPort, GatewayPort = gatewayPort });

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("AdvertisedAddress", "not-an-ip")]
    [InlineData("AdvertisedHttpUrl", "ftp://example.com/")]
    [InlineData("AdvertisedHttpUrl", "/relative")]
    [InlineData("ClusterId", "has space")]
    [InlineData("ServiceId", "")]
    public void Validate_BadValue_NamesTheSetting(string setting, string value)
    {
        var options = new GatewayClusterOptions { Mode = ClusterMode.Localhost };
        typeof(GatewayClusterOptions).GetProperty(setting)!.SetValue(options, value);

        var result = Validator.Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains($"Gateway:Cluster:{setting}", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_PlacementIntervalOutOfRange_Fails() =>
        Assert.True(Validator.Validate(null, new GatewayClusterOptions { Mode = ClusterMode.Localhost, PlacementInterval = TimeSpan.FromMilliseconds(10) }).Failed);

    [Fact]
    public void Validate_ModeNone_IgnoresTheSiloSettings() =>
        Assert.True(Validator.Validate(null, new GatewayClusterOptions { SiloPort = -5, AdvertisedAddress = "nope" }).Succeeded);
}
