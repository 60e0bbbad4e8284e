using Gateway.Tests.Integration.Prosody;

// One Prosody per test run, shared by every test class in every collection: take ProsodyFixture as a
// constructor parameter. xunit v3 creates assembly fixtures when the assembly starts, so this server starts
// (about a second) for every run of this test assembly, and a missing Prosody fails the run.
[assembly: AssemblyFixture(typeof(ProsodyFixture))]

namespace Gateway.Tests.Integration.Prosody;

/// <summary>
/// The shared Prosody instance for integration tests. Tests running in parallel share it, so they create
/// their own accounts (<see cref="CreateAccountAsync"/>) and never stop or restart it; tests that need that
/// start their own <see cref="ProsodyServer"/>.
/// </summary>
public sealed class ProsodyFixture : IAsyncLifetime
{
    private ProsodyServer? _server;

    /// <summary>The shared server. Do not call StopAsync/RestartAsync on it.</summary>
    public ProsodyServer Server => _server ?? throw new InvalidOperationException("ProsodyFixture is not initialized.");

    /// <summary>Registers a fresh account on the shared server; see <see cref="ProsodyServer.CreateAccountAsync"/>.</summary>
    public Task<TestAccount> CreateAccountAsync(string? prefix = null, CancellationToken cancellationToken = default) =>
        Server.CreateAccountAsync(prefix, cancellationToken);

    public async ValueTask InitializeAsync() =>
        _server = await ProsodyServer.StartAsync(cancellationToken: TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
    }
}
