using Gateway.Api.Cluster.Forwarding;

namespace Gateway.Tests.Cluster.Forwarding;

[Trait("Tier", "Unit")]
public sealed class ClusterForwardingOptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_Succeed() =>
        Assert.True(new ClusterForwardingOptionsValidator().Validate(null, new ClusterForwardingOptions()).Succeeded);

    [Fact]
    public void Validate_OutOfRange_NamesEachSetting()
    {
        var result = new ClusterForwardingOptionsValidator().Validate(null, new ClusterForwardingOptions
        {
            ConnectTimeout = TimeSpan.Zero,
            ResponseTimeout = TimeSpan.FromHours(1),
            LookupTimeout = TimeSpan.FromMilliseconds(-1),
            RetryAfter = TimeSpan.Zero,
            OwnerCacheTtl = TimeSpan.FromMinutes(6),
            OwnerCacheSize = -1,
        });

        Assert.True(result.Failed);
        foreach (var setting in new[] { "ConnectTimeout", "ResponseTimeout", "LookupTimeout", "RetryAfter", "OwnerCacheTtl", "OwnerCacheSize" })
        {
            Assert.Contains($"Gateway:Cluster:Forwarding:{setting} must be between", result.FailureMessage, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Validate_OwnerCacheOff_Succeeds() =>
        Assert.True(new ClusterForwardingOptionsValidator().Validate(null, new ClusterForwardingOptions { OwnerCacheTtl = TimeSpan.Zero, OwnerCacheSize = 0 }).Succeeded);
}
