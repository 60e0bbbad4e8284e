namespace Gateway.Api.Configuration;

/// <summary>
/// What the gateway shows the network, section <c>Gateway:Http</c>: a reverse proxy it trusts, HSTS, HTTPS
/// redirection, Swagger. Validated at start-up by <see cref="GatewayHttpOptionsValidator"/>. HTTPS itself is Kestrel's
/// (<c>Kestrel:Endpoints:Https</c>) or a terminating proxy's; see docs/security.md.
/// </summary>
public sealed class GatewayHttpOptions
{
    public const string Section = "Gateway:Http";

    /// <summary>
    /// Addresses of reverse proxies whose <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> are believed. None by
    /// default: forwarded headers are then ignored entirely, so no client can claim another address or HTTPS.
    /// </summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks (CIDR, e.g. <c>10.1.0.0/16</c>) of trusted reverse proxies, like <see cref="KnownProxies"/>.</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>How many proxies in <c>X-Forwarded-For</c> are unwound (1 to 10). Default 1: one proxy in front.</summary>
    public int ForwardLimit { get; set; } = 1;

    /// <summary>
    /// Send <c>Strict-Transport-Security</c> on HTTPS responses outside Development (RFC 6797). Default true.
    /// Browsers only honour it over HTTPS, so it costs nothing on plain HTTP.
    /// </summary>
    public bool Hsts { get; set; } = true;

    /// <summary>HSTS <c>max-age</c> (0 to 730 days). Default 365 days.</summary>
    public TimeSpan HstsMaxAge { get; set; } = TimeSpan.FromDays(365);

    /// <summary>
    /// Redirect plain-HTTP requests to HTTPS (307), except <c>/health</c> probes. Default false: behind a terminating
    /// proxy the proxy does it. A key sent over plain HTTP has already crossed the network: prefer not listening on HTTP.
    /// </summary>
    public bool HttpsRedirection { get; set; }

    /// <summary>The HTTPS port redirects go to; unset, the Kestrel HTTPS endpoint's port (or ASPNETCORE_HTTPS_PORT).</summary>
    public int? HttpsPort { get; set; }

    /// <summary>
    /// Serve the OpenAPI document (<c>/swagger/v1/swagger.json</c>) and Swagger UI (<c>/swagger</c>). Unset: in
    /// Development only. The committed copy is <c>openapi/gateway.v1.json</c>.
    /// </summary>
    public bool? EnableSwagger { get; set; }
}
