using System.Globalization;
using System.Net;
using System.Text.Json;
using Gateway.Api.Hubs;
using Gateway.Tests.Reliability;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Gateway.Tests.Cluster;

/// <summary>
/// How cluster clients pick a node (<see cref="ISessionRoute"/>): <see cref="Owner"/> sends every request to the node
/// that runs the session (all that works while nodes answer only for their own sessions), <see cref="RoundRobin"/>
/// spreads them over every node (once nodes forward API calls and hub subscriptions to the owner).
/// </summary>
internal enum ClusterRouting
{
    Owner,
    RoundRobin,
}

/// <summary>The gateway nodes of a cluster, by name and base address, as the routes and the report know them.</summary>
internal sealed class ClusterNodes(IReadOnlyList<(string Name, Uri Address)> nodes, string apiKey)
{
    public IReadOnlyList<(string Name, Uri Address)> All => nodes;

    public string ApiKey => apiKey;

    public string NameOf(Uri? address) => nodes.FirstOrDefault(n => n.Address == address).Name ?? address?.ToString() ?? "none";

    public HttpClient Client(TimeSpan timeout)
    {
        var http = new HttpClient { Timeout = timeout };
        http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        return http;
    }

    /// <summary>
    /// GET …/sessions/{id} on <paramref name="node"/>: the status and the session's state ("online"), or 0 and
    /// "unreachable". Nodes that forward answer 200 for every session; without forwarding only the owner does.
    /// </summary>
    public async Task<(int Status, string State)> AskAsync(HttpClient http, Uri node, string sessionId, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(node, $"api/v1/sessions/{sessionId}"), cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            return ((int)response.StatusCode, StateOf(body));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return (0, "unreachable");
        }
    }

    /// <summary>
    /// The session's state in <paramref name="node"/>'s session list (GET …/sessions): the live state when that node
    /// runs it, "remote" when it runs elsewhere (a clustered list), "" when the node does not list it, "unreachable".
    /// Unlike GET …/sessions/{id}, which nodes forward to the owner, the list tells which node runs the session.
    /// </summary>
    public async Task<string> ListedStateAsync(HttpClient http, Uri node, string sessionId, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(node, "api/v1/sessions"), cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
            }

            using var list = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            foreach (var item in list.RootElement.EnumerateArray())
            {
                if (item.TryGetProperty("id", out var id) && id.GetString() == sessionId)
                {
                    return item.TryGetProperty("state", out var state) ? state.GetString() ?? "" : "";
                }
            }

            return "";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            return "unreachable";
        }
    }

    /// <summary>Each node's answer for the session, e.g. "a: 200 online, b: 404, c: unreachable".</summary>
    public async Task<string> DescribeAsync(string sessionId, CancellationToken cancellationToken)
    {
        using var http = Client(TimeSpan.FromSeconds(5));
        var answers = await Task.WhenAll(nodes.Select(n => ListedStateAsync(http, n.Address, sessionId, cancellationToken)));
        return string.Join(", ", nodes.Select((n, i) => $"{n.Name}: {(answers[i].Length == 0 ? "not listed" : answers[i])}"));
    }

    private static string StateOf(string body)
    {
        const string key = "\"state\":\"";
        var at = body.IndexOf(key, StringComparison.Ordinal);
        if (at < 0)
        {
            return "";
        }

        var end = body.IndexOf('"', at + key.Length);
        return end < 0 ? "" : body[(at + key.Length)..end];
    }
}

/// <summary>
/// Every request to the node that runs the session: found by asking each node's session list (the node that runs it
/// lists its live state; others list it as "remote", or not at all before clustered lists), remembered, and looked for
/// again after any failed attempt.
/// </summary>
internal sealed class OwnerRoute(ClusterNodes nodes, string sessionId) : ISessionRoute, IDisposable
{
    private readonly HttpClient _http = nodes.Client(TimeSpan.FromSeconds(5));
    private readonly Lock _gate = new();
    private readonly List<string> _changes = [];
    private Uri? _owner;
    private int _lookups;

    public bool NotFoundMeansElsewhere => true;

    /// <summary>How many times the owner was looked for.</summary>
    public int Lookups => Volatile.Read(ref _lookups);

    /// <summary>"12:00:01.234 a", one entry per owner change seen, oldest first.</summary>
    public IReadOnlyList<string> Changes
    {
        get
        {
            lock (_gate)
            {
                return [.. _changes];
            }
        }
    }

    public Uri? Owner => Volatile.Read(ref _owner);

    public async ValueTask<Uri> NodeAsync(int attempt, CancellationToken cancellationToken)
    {
        if (attempt == 0 && Owner is { } known)
        {
            return known;
        }

        return await FindAsync(cancellationToken) ?? Owner ?? nodes.All[attempt % nodes.All.Count].Address;
    }

    /// <summary>Asks every node; the one that has the session online wins, else any that has it; null when none has.</summary>
    public async Task<Uri?> FindAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _lookups);
        var answers = await Task.WhenAll(nodes.All.Select(async n => (n.Address, State: await nodes.ListedStateAsync(_http, n.Address, sessionId, cancellationToken))));
        static bool Runs(string state) => state is not ("" or "remote" or "unreachable") && !char.IsDigit(state[0]);
        var found = answers.Where(a => a.State == "online").Select(a => a.Address).FirstOrDefault()
                    ?? answers.Where(a => Runs(a.State)).Select(a => a.Address).FirstOrDefault();
        if (found is not null && found != Owner)
        {
            lock (_gate)
            {
                _changes.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {nodes.NameOf(found)}");
            }

            Volatile.Write(ref _owner, found);
        }

        return found;
    }

    public void Dispose() => _http.Dispose();

    public override string ToString() => $"owner of {sessionId} ({nodes.NameOf(Owner)})";
}

/// <summary>Each attempt to the next node in turn, whichever runs the session: the nodes forward to the owner.</summary>
internal sealed class RoundRobinRoute(ClusterNodes nodes, int start) : ISessionRoute
{
    private int _next = start;

    /// <summary>
    /// A session that runs nowhere for a moment (its node was declared dead, the next placement round has not hosted it
    /// yet) is 404 on the node asked (docs/scale-out.md, forwarding): retried, as a client that knows it exists does.
    /// </summary>
    public bool NotFoundMeansElsewhere => true;

    public ValueTask<Uri> NodeAsync(int attempt, CancellationToken cancellationToken)
    {
        var i = (int)((uint)Interlocked.Increment(ref _next) % (uint)nodes.All.Count);
        return ValueTask.FromResult(nodes.All[i].Address);
    }

    public override string ToString() => "round robin";
}

/// <summary>Finds out what the nodes support, for <see cref="ClusterRouting"/> chosen automatically.</summary>
internal static class ClusterRoutingProbe
{
    /// <summary>
    /// GATEWAY_CLUSTER_ROUTING=owner or round-robin forces a routing for both REST and the hub; unset or <c>auto</c>,
    /// each is probed: REST is round robin when a node that does not run a session answers 200 for it (it forwards),
    /// the hub when such a node accepts <c>SubscribeAfter</c> for it (it relays the session's events).
    /// </summary>
    public static ClusterRouting? Forced => Environment.GetEnvironmentVariable("GATEWAY_CLUSTER_ROUTING")?.ToLowerInvariant() switch
    {
        "owner" => ClusterRouting.Owner,
        "round-robin" or "roundrobin" => ClusterRouting.RoundRobin,
        _ => null,
    };

    public static async Task<ClusterRouting> RestAsync(ClusterNodes nodes, Uri notOwner, string sessionId, CancellationToken cancellationToken)
    {
        using var http = nodes.Client(TimeSpan.FromSeconds(10));
        var (status, _) = await nodes.AskAsync(http, notOwner, sessionId, cancellationToken);
        return status == (int)HttpStatusCode.OK ? ClusterRouting.RoundRobin : ClusterRouting.Owner;
    }

    public static async Task<ClusterRouting> HubAsync(ClusterNodes nodes, Uri notOwner, string sessionId, CancellationToken cancellationToken)
    {
        var url = new Uri(notOwner, "hubs/xmpp?access_token=" + Uri.EscapeDataString(nodes.ApiKey));
        await using var connection = new HubConnectionBuilder().WithUrl(url).Build();
        await connection.StartAsync(cancellationToken);
        try
        {
            await connection.InvokeAsync<SubscriptionDto>("SubscribeAfter", sessionId, 0L, cancellationToken);
            return ClusterRouting.RoundRobin;
        }
        catch (HubException)
        {
            return ClusterRouting.Owner;
        }
    }
}
