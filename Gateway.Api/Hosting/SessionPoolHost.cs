using Gateway.Api.Configuration;
using Gateway.Api.Contracts;
using Gateway.Api.Diagnostics;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Persistence;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Hosting;

/// <summary>
/// Runs the pool with the host: starts it before the server takes requests, then opens the configured service
/// accounts in the background (a failure is logged and the gateway keeps running), and at shutdown closes every
/// session gracefully. Lifecycle calls apply to the real <see cref="SessionPool"/> only; a substitute
/// <see cref="ISessionPool"/> (tests) has none.
/// </summary>
/// <remarks>
/// The pool stops last (<see cref="StoppedAsync"/>), once every hosted service stopped, the web server included: the
/// server first finishes the requests under way (a send waiting for the server's acknowledgement needs a running
/// session) and stops accepting new ones, so no REST call or hub connection reaches a pool that is closing. Stopped
/// earlier, hub clients reconnected to the stopping process and were dropped with it.
/// </remarks>
internal sealed class SessionPoolHost(ISessionPool pool, IOptions<GatewayOptions> options, ILogger<SessionPoolHost> logger) : IHostedLifecycleService
{
    // Never disposed: without timers or wait handles a CancellationTokenSource holds nothing to release, and the
    // host may stop a service after the container disposed it.
    private readonly CancellationTokenSource _stopping = new();
    private Task _accounts = Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (LocalPool is { } sessionPool)
        {
            await sessionPool.StartAsync(cancellationToken);
            Log.PoolStarted(logger);
        }

        // Not awaited: logging in can take up to the connect timeout per account, and the API should serve meanwhile.
        if (pool is not Cluster.ClusteredSessionPool)
        {
            _accounts = Task.Run(() => StartAccountsAsync(_stopping.Token), CancellationToken.None);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>A clustered node opens the accounts through their grains, so only once every service (the silo too) runs.</summary>
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        if (pool is Cluster.ClusteredSessionPool)
        {
            _accounts = Task.Run(() => StartAccountsAsync(_stopping.Token), CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The service accounts stop being opened; the pool itself keeps serving until <see cref="StoppedAsync"/>.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => _stopping.CancelAsync();

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        try
        {
            await _accounts.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }

        if (LocalPool is { } sessionPool)
        {
            try
            {
                await sessionPool.StopAsync(cancellationToken);
                Log.PoolStopped(logger);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.PoolStopFailed(logger, ex);
            }
        }
    }

    /// <summary>The real pool this process runs: the registered one, or the local pool of a clustered node.</summary>
    private SessionPool? LocalPool => pool switch
    {
        SessionPool local => local,
        Cluster.ClusteredSessionPool clustered => clustered.Local,
        _ => null,
    };

    private Task StartAccountsAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(options.Value.Accounts.Select(account => StartAccountAsync(account, cancellationToken)));

    private async Task StartAccountAsync(AccountOptions account, CancellationToken cancellationToken)
    {
        try
        {
            // Validated at start-up (GatewayOptionsValidator): these parses succeed.
            var jid = Jid.Parse(account.Jid);
            InputRules.TryParseTlsMode(account.TlsMode, out var tlsMode);
            var spec = new SessionSpec
            {
                Id = account.Id,
                Jid = jid.Bare,
                Password = account.Password,
                Resource = account.Resource ?? jid.Resource,
                Host = account.Host,
                Port = account.Port,
                TlsMode = tlsMode,
            };
            var info = await pool.CreateAsync(account.Tenant, spec, cancellationToken);
            Log.AccountOnline(logger, account.Tenant, info.Id);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (SessionConflictException) when (pool is Cluster.ClusteredSessionPool)
        {
            // Every node opens the configured accounts through their grains: one of them runs each account, and for
            // the others (and for a node restarted on a store that has it) the create is this conflict. Not a failure.
            Cluster.ClusterLog.AccountOpenedElsewhere(logger, account.Tenant, account.Id);
        }
        catch (Exception ex)
        {
            // The message of an XMPP error names a condition or an endpoint, never the password.
            Log.AccountFailed(logger, account.Tenant, account.Id, ex.GetType().Name, ex.Message);
        }
    }
}

/// <summary>Registers the connection pool and its host.</summary>
public static class GatewayPool
{
    /// <summary>
    /// <see cref="SessionPool"/> as a singleton, also as <see cref="ISessionPool"/> (same instance; its DisposeAsync is
    /// idempotent), built from the validated <see cref="SessionPoolOptions"/>; and the hosted service that starts and stops it.
    /// </summary>
    public static IServiceCollection AddGatewaySessionPool(this IServiceCollection services)
    {
        // Persistence is optional: whoever registers an IPoolStore gets it used; else in memory.
        services.AddSingleton(sp => new SessionPool(
            sp.GetRequiredService<SessionPoolOptions>(),
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<IPoolStore>(),
            sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.AddSingleton<ISessionPool>(sp => sp.GetRequiredService<SessionPool>());
        services.AddHostedService<SessionPoolHost>();
        return services;
    }
}
