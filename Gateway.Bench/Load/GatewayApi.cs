using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Tests.Integration.Prosody;

namespace Gateway.Bench.Load;

/// <summary>The gateway's REST API for set-up (sessions, probes), through HttpClient: nothing here is on a measured path.</summary>
internal sealed class GatewayApi : IDisposable
{
    private readonly HttpClient _http;
    private readonly ProsodyServer _prosody;

    public GatewayApi(GatewayProcess gateway, ProsodyServer prosody)
        : this(gateway?.BaseAddress ?? throw new ArgumentNullException(nameof(gateway)), gateway.ApiKey, prosody)
    {
    }

    /// <summary>The API at <paramref name="baseAddress"/>, e.g. the one address in front of a cluster's nodes.</summary>
    public GatewayApi(Uri baseAddress, string apiKey, ProsodyServer prosody)
    {
        _prosody = prosody;
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024 })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromMinutes(2),
        };
        _http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
    }

    /// <summary>
    /// <c>POST /api/v1/sessions</c> for <paramref name="account"/> on the test Prosody (plaintext loopback); the
    /// gateway answers 201 once the session is online. Returns the status and, when it is not 201, the body.
    /// </summary>
    public async Task<(HttpStatusCode Status, string? Problem)> CreateSessionAsync(string id, TestAccount account, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        using var response = await _http.PostAsJsonAsync(
            "api/v1/sessions",
            new { id, jid = account.Bare, password = account.Password, host = _prosody.Host, port = _prosody.C2sPort, tlsMode = "disabled" },
            cancellationToken);
        return response.StatusCode == HttpStatusCode.Created
            ? (response.StatusCode, null)
            : (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>Creates a session and throws unless the gateway answers 201.</summary>
    public async Task CreateSessionOrThrowAsync(string id, TestAccount account, CancellationToken cancellationToken)
    {
        var (status, problem) = await CreateSessionAsync(id, account, cancellationToken);
        if (status != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"Creating session {id} for {account} answered {(int)status}: {problem}");
        }
    }

    /// <summary><c>DELETE /api/v1/sessions/{id}</c>: the session stops and is forgotten. Returns the status.</summary>
    public async Task<HttpStatusCode> DeleteSessionAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await _http.DeleteAsync(new Uri($"api/v1/sessions/{Uri.EscapeDataString(id)}", UriKind.Relative), cancellationToken);
        return response.StatusCode;
    }

    /// <summary>The tenant's sessions counted by state (<c>GET /api/v1/sessions</c>).</summary>
    public async Task<IReadOnlyDictionary<string, int>> CountSessionStatesAsync(CancellationToken cancellationToken)
    {
        using var document = JsonDocument.Parse(await _http.GetStringAsync(new Uri("api/v1/sessions", UriKind.Relative), cancellationToken));
        return document.RootElement.EnumerateArray()
            .GroupBy(session => session.GetProperty("state").GetString() ?? "?")
            .ToDictionary(group => group.Key, group => group.Count());
    }

    /// <summary>A POST with a JSON body, for probing an endpoint before loading it.</summary>
    public async Task<(HttpStatusCode Status, string Body)> PostJsonAsync(string path, string json, CancellationToken cancellationToken)
    {
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync(new Uri(path, UriKind.Relative), content, cancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>A GET whose answer only matters by its status, e.g. a message's delivery status.</summary>
    public async Task<HttpStatusCode> GetStatusCodeAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri(path, UriKind.Relative), HttpCompletionOption.ResponseContentRead, cancellationToken);
        return response.StatusCode;
    }

    public void Dispose() => _http.Dispose();
}
