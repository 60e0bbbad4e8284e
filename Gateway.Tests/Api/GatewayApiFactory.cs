using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Api.Errors;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Api;

/// <summary>
/// Hosts the gateway for tests. Two tenants with known keys (<see cref="AlphaKey"/>, <see cref="BetaKey"/>); every
/// log line captured in <see cref="Logs"/>. With a <see cref="ProsodyServer"/> it uses the real pool, trusting the
/// server's certificate (Gateway:Pool:TrustedCertificatePaths) and allowing sessions to name its host and port;
/// with <see cref="Pool"/> a substitute pool replaces it for edge cases. Call <see cref="UseRealSocket"/> before the
/// first client for a real Kestrel socket on a free port (WebSocket/SignalR tests).
/// </summary>
public sealed class GatewayApiFactory : WebApplicationFactory<Program>
{
    public const string AlphaTenant = "alpha";
    public const string AlphaKey = "alpha-key-3f1b0c8e9a";
    public const string BetaTenant = "beta";
    public const string BetaKey = "beta-key-77d2e41c05";

    /// <summary>The API's JSON rules, for reading and writing bodies the way the gateway does.</summary>
    public static readonly JsonSerializerOptions Json = CreateJson();

    private readonly ProsodyServer? _prosody;

    /// <summary>
    /// Each factory gets its own database and key ring, so parallel tests never share a store. A test that
    /// restarts the gateway gives the next factory the same directory (and <see cref="KeepStorage"/> to the first).
    /// </summary>
    public string StorageDirectory { get; init; } = NewStorageDirectory();

    /// <summary>Leave <see cref="StorageDirectory"/> in place on dispose, for a gateway started after this one.</summary>
    public bool KeepStorage { get; init; }

    public static string NewStorageDirectory() => Path.Combine(Path.GetTempPath(), "gateway-api-tests", Guid.NewGuid().ToString("N"));

    public GatewayApiFactory(ProsodyServer? prosody = null)
    {
        _prosody = prosody;
    }

    /// <summary>The real pool, against the shared test Prosody.</summary>
    public GatewayApiFactory(ProsodyFixture prosody)
        : this(prosody?.Server ?? throw new ArgumentNullException(nameof(prosody)))
    {
    }

    /// <summary>Every log line of the app, at every level.</summary>
    public TestLogSink Logs { get; } = new();

    /// <summary>A substitute for the real pool; null uses <see cref="SessionPool"/>.</summary>
    public ISessionPool? Pool { get; init; }

    /// <summary>Whether the pool trusts the Prosody's self-signed certificate (default true; false to provoke TLS failures).</summary>
    public bool TrustProsodyCertificate { get; init; } = true;

    /// <summary>Extra configuration, applied last (e.g. <c>Gateway:Pool:AckTimeout</c>).</summary>
    public Dictionary<string, string?> Settings { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>More service changes, applied after the factory's own.</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }

    /// <summary>The Prosody this factory's sessions may connect to, if any.</summary>
    public ProsodyServer Prosody => _prosody ?? throw new InvalidOperationException("This factory was created without a ProsodyServer.");

    /// <summary>Serves on a real Kestrel socket on a free loopback port instead of the in-memory test server.</summary>
    public GatewayApiFactory UseRealSocket()
    {
        UseKestrel(0);
        return this;
    }

    /// <summary>Serves on a real Kestrel socket on <paramref name="port"/> (chosen free by the test, e.g. to advertise it before start).</summary>
    public GatewayApiFactory UseRealSocket(int port)
    {
        UseKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, port));
        return this;
    }

    /// <summary>A loopback port free right now, for <see cref="UseRealSocket(int)"/>.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The server's base address: http://127.0.0.1:port/ with <see cref="UseRealSocket"/>, else the test server's.</summary>
    public Uri ServerAddress
    {
        get
        {
            StartServer();
            var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
            return addresses is { Count: > 0 } ? new Uri(addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal)) : ClientOptions.BaseAddress;
        }
    }

    /// <summary>A client sending <paramref name="apiKey"/> as X-Api-Key (none when null).</summary>
    public HttpClient CreateClient(string? apiKey)
    {
        var client = CreateClient();
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return client;
    }

    public HttpClient CreateAlphaClient() => CreateClient(AlphaKey);

    public HttpClient CreateBetaClient() => CreateClient(BetaKey);

    public static string Sha256Hex(string key) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)));

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (KeepStorage)
        {
            return;
        }

        try
        {
            Directory.Delete(StorageDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(BuildSettings()));

        // Program reads Gateway:Cluster while it builds the host (whether to co-host a silo), before the configuration
        // above is applied; settings given to the web host (UseSetting) are visible by then.
        foreach (var (key, value) in Settings.Where(s => s.Key.StartsWith("Gateway:Cluster:", StringComparison.OrdinalIgnoreCase)))
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging =>
        {
            logging.AddProvider(Logs);
            logging.AddFilter<TestLogSink>(category: null, LogLevel.Trace);
        });
        builder.ConfigureTestServices(services =>
        {
            if (Pool is not null)
            {
                services.RemoveAll<ISessionPool>();
                services.AddSingleton(Pool);
            }

            ConfigureServices?.Invoke(services);
        });
    }

    private Dictionary<string, string?> BuildSettings()
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Gateway:Tenants:0:Name"] = AlphaTenant,
            ["Gateway:Tenants:0:ApiKeySha256:0"] = Sha256Hex(AlphaKey),
            ["Gateway:Tenants:1:Name"] = BetaTenant,
            ["Gateway:Tenants:1:ApiKeySha256:0"] = Sha256Hex(BetaKey),
            ["Gateway:Pool:AllowHostOverride"] = "true",
            ["Gateway:Storage:Path"] = Path.Combine(StorageDirectory, "gateway.db"),
            ["Gateway:Storage:KeysPath"] = Path.Combine(StorageDirectory, "keys"),

            // The "Testing" environment is not Development: a throwaway key ring needs no certificate.
            ["Gateway:DataProtection:AllowUnprotectedKeys"] = "true",
        };
        if (_prosody is not null)
        {
            if (TrustProsodyCertificate)
            {
                settings["Gateway:Pool:TrustedCertificatePaths:0"] = _prosody.CertificatePath;
            }

            settings["Gateway:Pool:ConnectTimeout"] = "00:00:15";
        }

        foreach (var (key, value) in Settings)
        {
            settings[key] = value;
        }

        return settings;
    }

    private static JsonSerializerOptions CreateJson()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        GatewayErrors.Configure(options);

        // Reading responses: problem details carry extension fields the DTOs in tests need not model.
        options.UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Skip;
        return options;
    }
}

/// <summary>Reading gateway responses in tests.</summary>
public static class ApiResponses
{
    /// <summary>
    /// Polls <c>GET /api/v1/sessions/{sessionId}/messages/{messageId}</c> (asserting 200 each time) until the status
    /// is one <paramref name="reached"/> accepts, and returns it. Fails after 15 s.
    /// </summary>
    public static async Task<string> WaitForMessageStatusAsync(this HttpClient client, string sessionId, string messageId, Func<string, bool> reached)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        patience.CancelAfter(TimeSpan.FromSeconds(15));
        while (true)
        {
            var status = (await (await client.GetAsync(new Uri($"/api/v1/sessions/{sessionId}/messages/{messageId}", UriKind.Relative), patience.Token))
                .ReadAsync<Gateway.Api.Contracts.MessageStatusDto>(200)).Status;
            if (reached(status))
            {
                return status;
            }

            await Task.Delay(50, patience.Token);
        }
    }

    /// <summary>The body as JSON (any status).</summary>
    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.False(string.IsNullOrEmpty(text), $"Empty body with {(int)response.StatusCode}.");
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>Asserts the status and that the body is problem details with <paramref name="code"/>; returns the body.</summary>
    public static async Task<JsonElement> ProblemAsync(this HttpResponseMessage response, int status, string? code = null)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True((int)response.StatusCode == status, $"Expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(text);
        var problem = document.RootElement.Clone();
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("traceId").GetString()));
        if (code is not null)
        {
            Assert.Equal(code, problem.GetProperty("code").GetString());
        }

        return problem;
    }

    public static async Task<T> ReadAsync<T>(this HttpResponseMessage response, int status)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True((int)response.StatusCode == status, $"Expected {status}, got {(int)response.StatusCode}: {text}");
        return JsonSerializer.Deserialize<T>(text, GatewayApiFactory.Json)!;
    }

    public static Task<HttpResponseMessage> PostJsonAsync<T>(this HttpClient client, string url, T body) =>
        client.PostAsJsonAsync(url, body, GatewayApiFactory.Json, TestContext.Current.CancellationToken);

    public static Task<HttpResponseMessage> PostRawAsync(this HttpClient client, string url, string body, string contentType = "application/json") =>
        client.PostAsync(url, new StringContent(body, System.Text.Encoding.UTF8, contentType), TestContext.Current.CancellationToken);
}
