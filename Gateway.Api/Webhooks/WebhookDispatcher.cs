using System.Collections.Immutable;
using System.Text.Json;
using Gateway.Api.Events;
using Gateway.Xmpp.Pool;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Webhooks;

/// <summary>
/// Runs a <see cref="WebhookWorker"/> per enabled webhook and wakes them: as an <see cref="ISessionEventObserver"/> it
/// hears every live event (already journaled) and rings the lanes of the tenant's webhooks that want the session. That
/// is all <see cref="OnEvent"/> does: a lookup in an immutable snapshot and a non-blocking ring, never I/O, so webhooks
/// cannot slow the hub. The journal, not the ring, carries the events: a ring lost (the gateway stopping) costs nothing,
/// the next start looks at every session with a cursor.
/// </summary>
internal sealed class WebhookDispatcher(
    IWebhookStore store,
    ISessionPool pool,
    WebhookHttpClient http,
    WebhookMetrics metrics,
    IOptions<WebhookOptions> options,
    IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> jsonOptions,
    ILogger<WebhookDispatcher> logger,
    TimeProvider? timeProvider = null,
    IWebhookSessionOwnership? ownership = null) : BackgroundService, ISessionEventObserver
{
    private static readonly TimeSpan LoadRetryDelay = TimeSpan.FromSeconds(5);

    private readonly WebhookOptions _options = options.Value;
    private readonly JsonSerializerOptions _json = jsonOptions.Value.SerializerOptions;
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, WebhookWorker> _workers = new(StringComparer.Ordinal);
    private ImmutableDictionary<string, ImmutableArray<WebhookWorker>> _byTenant = ImmutableDictionary<string, ImmutableArray<WebhookWorker>>.Empty;
    private CancellationToken _stoppingToken = CancellationToken.None;

    public void OnEvent(SessionEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (Volatile.Read(ref _byTenant).TryGetValue(e.Tenant, out var workers))
        {
            foreach (var worker in workers)
            {
                worker.Notify(e.SessionId);
            }
        }
    }

    /// <summary>Starts, restarts (with the new definition) or stops the webhook's worker.</summary>
    public async Task ApplyAsync(Webhook webhook, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(webhook);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await StopWorkerAsync(webhook.Id);
            if (webhook.Enabled && !_stoppingToken.IsCancellationRequested)
            {
                var worker = new WebhookWorker(webhook, store, pool, http, metrics, _options, _json, _time, logger, ownership);
                lock (_workers)
                {
                    _workers[webhook.Id] = worker;
                }

                PublishSnapshot();

                // Not the caller's token: once the old worker is stopped, the new one must start, whatever the request does.
                await worker.StartAsync(CancellationToken.None);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops the webhook's worker (it was deleted).</summary>
    public async Task RemoveAsync(string webhookId, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await StopWorkerAsync(webhookId);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Applies the store's webhooks to the workers: starts, restarts (changed) or stops (deleted, disabled) them. In a
    /// cluster the API of any node changes webhooks, and every node must know them for the sessions it runs.
    /// </summary>
    internal async Task SyncAsync(CancellationToken cancellationToken)
    {
        var stored = await store.LoadAllAsync(cancellationToken);
        foreach (var webhook in stored)
        {
            WebhookWorker? current;
            lock (_workers)
            {
                _workers.TryGetValue(webhook.Id, out current);
            }

            if (webhook.Enabled ? current is null || !SameDefinition(current.Webhook, webhook) : current is not null)
            {
                await ApplyAsync(webhook, cancellationToken);
            }
        }

        var ids = stored.Select(w => w.Id).ToHashSet(StringComparer.Ordinal);
        string[] gone;
        lock (_workers)
        {
            gone = [.. _workers.Keys.Where(id => !ids.Contains(id))];
        }

        foreach (var id in gone)
        {
            await RemoveAsync(id, cancellationToken);
        }
    }

    /// <summary>Field by field: the record's own equality compares the arrays by reference.</summary>
    private static bool SameDefinition(Webhook a, Webhook b) =>
        a.Id == b.Id && a.Tenant == b.Tenant && a.Url == b.Url && a.Description == b.Description && a.Enabled == b.Enabled &&
        a.CreatedAt == b.CreatedAt && a.Secret == b.Secret && a.PreviousSecret == b.PreviousSecret && a.PreviousSecretUntil == b.PreviousSecretUntil &&
        a.Events.IsDefault == b.Events.IsDefault && (a.Events.IsDefault || a.Events.SequenceEqual(b.Events, StringComparer.Ordinal)) &&
        a.Sessions.IsDefault == b.Sessions.IsDefault && (a.Sessions.IsDefault || a.Sessions.SequenceEqual(b.Sessions, StringComparer.Ordinal));

    /// <summary>Wakes the lane of a session (a delivery was queued again).</summary>
    /// <summary>
    /// In a cluster, after the session left this node's pool: returns when none of its webhook attempts is on the wire
    /// from this node any more and their outcomes are recorded (<see cref="WebhookWorker.SettleAsync"/>), so the node
    /// that runs the session next does not attempt the same delivery at the same time.
    /// </summary>
    public async Task SettleAsync(string tenant, string sessionId, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _byTenant).TryGetValue(tenant, out var workers))
        {
            await Task.WhenAll(workers.Select(w => w.SettleAsync(sessionId, cancellationToken)));
        }
    }

    public void Ring(string webhookId, string sessionId)
    {
        WebhookWorker? worker;
        lock (_workers)
        {
            _workers.TryGetValue(webhookId, out worker);
        }

        worker?.Ring(sessionId);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await _gate.WaitAsync(CancellationToken.None);
        try
        {
            foreach (var id in _workers.Keys.ToArray())
            {
                await StopWorkerAsync(id);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stoppingToken = stoppingToken;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var webhook in await store.LoadAllAsync(stoppingToken))
                {
                    await _gate.WaitAsync(stoppingToken);
                    try
                    {
                        // A webhook created or changed through the API meanwhile already has its worker.
                        if (!_workers.ContainsKey(webhook.Id) && webhook.Enabled)
                        {
                            var worker = new WebhookWorker(webhook, store, pool, http, metrics, _options, _json, _time, logger, ownership);
                            lock (_workers)
                            {
                                _workers[webhook.Id] = worker;
                            }

                            PublishSnapshot();
                            await worker.StartAsync(stoppingToken);
                        }
                    }
                    finally
                    {
                        _gate.Release();
                    }
                }

                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                WebhookLog.LoadFailed(logger, LoadRetryDelay, ex);
                await Task.Delay(LoadRetryDelay, _time, stoppingToken);
            }
        }
    }

    private async Task StopWorkerAsync(string webhookId)
    {
        WebhookWorker? worker;
        lock (_workers)
        {
            if (!_workers.Remove(webhookId, out worker))
            {
                return;
            }
        }

        PublishSnapshot();
        await worker.DisposeAsync();
    }

    private void PublishSnapshot()
    {
        lock (_workers)
        {
            Volatile.Write(ref _byTenant, _workers.Values
                .GroupBy(w => w.Webhook.Tenant, StringComparer.Ordinal)
                .ToImmutableDictionary(g => g.Key, g => g.ToImmutableArray(), StringComparer.Ordinal));
        }
    }
}
