using Gateway.Tests.Integration.Redis;

// One private Redis per test run, started by the first test that asks for it (most runs need none), killed at the end.
[assembly: AssemblyFixture(typeof(RedisFixture))]

namespace Gateway.Tests.Integration.Redis;

/// <summary>
/// The shared private Redis (<see cref="RedisServer"/>). Tests that share it keep apart by their own keys (for Orleans:
/// a cluster id per test), and never flush or stop it.
/// </summary>
public sealed class RedisFixture : IAsyncDisposable
{
    private readonly SemaphoreSlim _start = new(1, 1);
    private RedisServer? _server;

    /// <summary>The server, started on first use.</summary>
    public async Task<RedisServer> GetServerAsync()
    {
        await _start.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            return _server ??= await RedisServer.StartAsync(TestContext.Current.CancellationToken);
        }
        finally
        {
            _start.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _start.Dispose();
    }
}
