using Npgsql;

namespace Gateway.Tests.Integration.Postgres;

/// <summary>The private test server itself: password authentication on loopback only, and nothing left behind when the test host dies.</summary>
[Collection(PostgresCollection.Name)]
[Trait("Tier", "Integration")]
public sealed class PostgresServerTests(PostgresFixture fixture)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SharedServer_UserWithPassword_ConnectsOverLoopbackOnly()
    {
        var database = await fixture.Server.CreateDatabaseAsync("server", Token);
        try
        {
            await using (var connection = new NpgsqlConnection(fixture.Server.ConnectionString(database)))
            {
                await connection.OpenAsync(Token);
                await using var command = new NpgsqlCommand("SELECT current_setting('listen_addresses') || ' ' || current_user", connection);
                Assert.Equal("127.0.0.1 gateway", await command.ExecuteScalarAsync(Token));
            }

            var wrong = new NpgsqlConnectionStringBuilder(fixture.Server.ConnectionString(database)) { Password = "wrong", Pooling = false };
            await using var refused = new NpgsqlConnection(wrong.ConnectionString);
            var ex = await Assert.ThrowsAsync<PostgresException>(() => refused.OpenAsync(Token));
            Assert.Equal(PostgresErrorCodes.InvalidPassword, ex.SqlState);
        }
        finally
        {
            await fixture.Server.DropDatabaseAsync(database, Token);
        }
    }

    [Fact]
    public async Task HostDies_WatchdogStopsTheServerAndDeletesItsDirectory()
    {
        await using var server = await PostgresServer.StartAsync(Token);
        Assert.True(Directory.Exists(server.DataPath));

        // What the kernel does when the test host dies, however: the watchdog's pipe loses its only writer.
        server.CloseWatchdogPipe();

        await server.WaitForExitAsync(Token);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Directory.Exists(server.DirectoryPath) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, Token);
        }

        Assert.False(server.IsRunning);
        Assert.False(Directory.Exists(server.DirectoryPath));
    }
}
