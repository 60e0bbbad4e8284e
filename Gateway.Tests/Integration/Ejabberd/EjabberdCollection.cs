namespace Gateway.Tests.Integration.Ejabberd;

/// <summary>The test classes that share <see cref="EjabberdFixture"/>; they run one after another, beside other collections.</summary>
[CollectionDefinition(Name)]
public sealed class EjabberdCollection : ICollectionFixture<EjabberdFixture>
{
    public const string Name = "ejabberd";
}
