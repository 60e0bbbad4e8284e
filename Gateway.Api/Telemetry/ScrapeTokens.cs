using System.Security.Cryptography;
using System.Text;
using Gateway.Api.Errors;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Telemetry;

/// <summary>
/// Guards <c>/metrics</c>: the request must carry <c>Authorization: Bearer &lt;token&gt;</c> whose SHA-256 is one of
/// <see cref="GatewayPrometheusOptions.ScrapeTokenSha256"/> (compared in constant time); else 401 with
/// <c>WWW-Authenticate: Bearer</c> (RFC 6750 §3). The token is never logged.
/// </summary>
internal sealed class ScrapeTokens(RequestDelegate next, IOptions<GatewayTelemetryOptions> options, ILogger<ScrapeTokens> logger)
{
    private readonly byte[][] _hashes = [.. options.Value.Prometheus.ScrapeTokenSha256.Select(Convert.FromHexString)];

    public static bool IsSha256Hex(string? value) =>
        value is { Length: 64 } && value.All(Uri.IsHexDigit);

    public Task InvokeAsync(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        if (IsAuthorized(authorization))
        {
            return next(context);
        }

        TelemetryLog.ScrapeRefused(logger, authorization.Length == 0 ? "no Authorization header" : "not a configured bearer token");

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"metrics\"";
        return GatewayProblems.WriteAsync(context, GatewayProblems.Create(context, StatusCodes.Status401Unauthorized, ProblemCodes.Unauthorized,
            $"Scraping {GatewayPrometheusOptions.Path} needs 'Authorization: Bearer <token>' with a token whose SHA-256 is in {GatewayTelemetryOptions.Section}:Prometheus:ScrapeTokenSha256."));
    }

    private bool IsAuthorized(string authorization)
    {
        const string Scheme = "Bearer ";
        if (!authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(authorization[Scheme.Length..].Trim()));
        var match = false;
        foreach (var expected in _hashes)
        {
            // Every hash compared, each in constant time: neither which one matched nor how much of it shows in the timing.
            match |= CryptographicOperations.FixedTimeEquals(hash, expected);
        }

        return match;
    }
}
