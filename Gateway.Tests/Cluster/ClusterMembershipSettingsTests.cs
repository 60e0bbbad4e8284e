using Gateway.Api.Cluster;
using Orleans.Configuration;

namespace Gateway.Tests.Cluster;

/// <summary><c>Gateway:Cluster:Membership</c>: Orleans' defaults, what it maps to, and the validator's ranges.</summary>
[Trait("Tier", "Unit")]
public sealed class ClusterMembershipSettingsTests
{
    private static readonly GatewayClusterOptionsValidator Validator = new();

    [Fact]
    public void Defaults_AreOrleans()
    {
        var orleans = new ClusterMembershipOptions();
        var settings = new ClusterMembershipSettings();

        Assert.Equal(orleans.ProbeTimeout, settings.ProbeTimeout);
        Assert.Equal(orleans.NumMissedProbesLimit, settings.MissedProbesLimit);
        Assert.Equal(orleans.NumProbedSilos, settings.ProbedSilos);
        Assert.Equal(orleans.NumVotesForDeathDeclaration, settings.VotesForDeathDeclaration);
        Assert.Equal(orleans.TableRefreshTimeout, settings.TableRefreshTimeout);
        Assert.Equal(orleans.IAmAliveTablePublishTimeout, settings.IAmAliveTablePublishTimeout);
        Assert.True(Validator.Validate(null, new GatewayClusterOptions { Mode = ClusterMode.Localhost }).Succeeded);
    }

    [Fact]
    public void ApplyTo_SetsOrleansOptions()
    {
        var orleans = new ClusterMembershipOptions();
        new ClusterMembershipSettings
        {
            ProbeTimeout = TimeSpan.FromSeconds(2),
            MissedProbesLimit = 4,
            ProbedSilos = 3,
            VotesForDeathDeclaration = 1,
            TableRefreshTimeout = TimeSpan.FromSeconds(7),
            IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(30),
        }.ApplyTo(orleans);

        Assert.Equal(TimeSpan.FromSeconds(2), orleans.ProbeTimeout);
        Assert.Equal(4, orleans.NumMissedProbesLimit);
        Assert.Equal(3, orleans.NumProbedSilos);
        Assert.Equal(1, orleans.NumVotesForDeathDeclaration);
        Assert.Equal(TimeSpan.FromSeconds(7), orleans.TableRefreshTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), orleans.IAmAliveTablePublishTimeout);
    }

    [Theory]
    [InlineData("ProbeTimeout", "00:00:00.01")]
    [InlineData("ProbeTimeout", "00:10:00")]
    [InlineData("MissedProbesLimit", "0")]
    [InlineData("MissedProbesLimit", "101")]
    [InlineData("ProbedSilos", "0")]
    [InlineData("VotesForDeathDeclaration", "0")]
    [InlineData("VotesForDeathDeclaration", "11")]
    [InlineData("TableRefreshTimeout", "00:00:00.5")]
    [InlineData("TableRefreshTimeout", "02:00:00")]
    [InlineData("IAmAliveTablePublishTimeout", "00:00:00")]
    public void Validate_OutOfRange_NamesTheSetting(string setting, string value)
    {
        var membership = new ClusterMembershipSettings();
        var property = typeof(ClusterMembershipSettings).GetProperty(setting)!;
        property.SetValue(membership, property.PropertyType == typeof(int) ? int.Parse(value, System.Globalization.CultureInfo.InvariantCulture) : TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture));

        var result = Validator.Validate(null, new GatewayClusterOptions { Mode = ClusterMode.Localhost, Membership = membership });

        Assert.True(result.Failed);
        Assert.Contains($"Gateway:Cluster:Membership:{setting}", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_FastDetectionForOneMachine_Succeeds()
    {
        var membership = new ClusterMembershipSettings { ProbeTimeout = TimeSpan.FromSeconds(1), MissedProbesLimit = 2, ProbedSilos = 1, VotesForDeathDeclaration = 1, TableRefreshTimeout = TimeSpan.FromSeconds(2) };

        Assert.True(Validator.Validate(null, new GatewayClusterOptions { Mode = ClusterMode.Redis, RedisConnectionString = "127.0.0.1:6379", Membership = membership }).Succeeded);
    }
}
