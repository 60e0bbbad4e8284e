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
        });

        Assert.True(result.Failed);
        foreach (var setting in new[] { "ConnectTimeout", "ResponseTimeout", "LookupTimeout", "RetryAfter" })
        {
            Assert.Contains($"Gateway:Cluster:Forwarding:{setting} must be between", result.FailureMessage, StringComparison.Ordinal);
        }
    }
}
