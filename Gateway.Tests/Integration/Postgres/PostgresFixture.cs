namespace Gateway.Tests.Integration.Postgres;

/// <summary>
/// One private PostgreSQL server (<see cref="PostgresServer"/>) for the test classes of <see cref="PostgresCollection"/>,
/// started when the first of them runs. Tests share it and never stop it: each makes databases of its own
/// (<see cref="CreateDatabaseAsync"/>).
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private PostgresServer? _server;

    public PostgresServer Server => _server ?? throw new InvalidOperationException("PostgresFixture is not initialized.");

    /// <summary>A new empty database, dropped when the result is disposed.</summary>
    public async Task<PostgresTestDatabase> CreateDatabaseAsync(string prefix = "test", CancellationToken cancellationToken = default) =>
        new(Server, await Server.CreateDatabaseAsync(prefix, cancellationToken));

    public async ValueTask InitializeAsync() =>
        _server = await PostgresServer.StartAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>A database of the shared server, with the connection string the stores use; dropped on dispose.</summary>
public sealed class PostgresTestDatabase(PostgresServer server, string name) : IAsyncDisposable
{
    public string Name { get; } = name;

    /// <summary>As the unprivileged role, with its password.</summary>
    public string ConnectionString { get; } = server.ConnectionString(name);

    public async ValueTask DisposeAsync()
    {
        if (server.IsRunning)
        {
            await server.DropDatabaseAsync(Name);
        }
    }
}

/// <summary>The test classes that share <see cref="PostgresFixture"/>; they run one after another, beside other collections.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
