using Gateway.Tests.Integration.Prosody;

namespace Gateway.Tests.Integration.Ejabberd;

/// <summary>
/// The shared ejabberd instance for the interop tests: one per test run, started when the first class of
/// <see cref="EjabberdCollection"/> runs (not per assembly like Prosody, so filtered runs of other tests do not pay for
/// it). Tests create their own accounts and never stop it; a test that needs to, starts its own <see cref="EjabberdServer"/>.
/// </summary>
public sealed class EjabberdFixture : IAsyncLifetime
{
    private EjabberdServer? _server;

    /// <summary>The shared server. Do not call StopAsync on it.</summary>
    public EjabberdServer Server => _server ?? throw new InvalidOperationException("EjabberdFixture is not initialized.");

    /// <summary>Registers a fresh account on the shared server; see <see cref="EjabberdServer.CreateAccountAsync"/>.</summary>
    public Task<TestAccount> CreateAccountAsync(string? prefix = null, CancellationToken cancellationToken = default) =>
        Server.CreateAccountAsync(prefix, cancellationToken);

    public async ValueTask InitializeAsync() =>
        _server = await EjabberdServer.StartAsync(cancellationToken: TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
    }
}
