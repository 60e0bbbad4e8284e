using System.Security.Claims;
using System.Text.Encodings.Web;
using Gateway.Api.Errors;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Gateway.Api.Auth;

/// <summary>
/// Authenticates a request by its API key: the <see cref="ApiKeyDefaults.HeaderName"/> header, or on the hub path only
/// the <see cref="ApiKeyDefaults.QueryParameter"/> query parameter. The principal carries the tenant in
/// <see cref="ApiKeyDefaults.TenantClaim"/>. Challenges and refusals answer with problem details.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyStore keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private const string InvalidKey = "The API key is not valid.";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? key = null;
        if (Request.Headers.TryGetValue(ApiKeyDefaults.HeaderName, out var header))
        {
            if (header.Count != 1)
            {
                return Task.FromResult(AuthenticateResult.Fail($"Send exactly one {ApiKeyDefaults.HeaderName} header."));
            }

            key = header[0];
        }
        else if (Request.Path.StartsWithSegments(ApiKeyDefaults.HubPath)
            && Request.Query.TryGetValue(ApiKeyDefaults.QueryParameter, out var query))
        {
            // Browsers cannot put headers on WebSocket and Server-Sent Events requests (SignalR's access_token).
            key = query.Count == 1 ? query[0] : null;
        }
        else if (Request.Path.StartsWithSegments(ApiKeyDefaults.HubPath)
            && Request.Headers.Authorization is [{ } authorization]
            && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            // SignalR clients send their accessTokenFactory value as a bearer token on negotiate and on HTTP transports.
            key = authorization["Bearer ".Length..].Trim();
        }

        if (string.IsNullOrEmpty(key))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (keys.FindTenant(key) is not { } tenant)
        {
            return Task.FromResult(AuthenticateResult.Fail(InvalidKey));
        }

        var identity = new ClaimsIdentity(
            [new Claim(ApiKeyDefaults.TenantClaim, tenant), new Claim(ClaimTypes.Name, tenant)],
            ApiKeyDefaults.Scheme,
            ClaimTypes.Name,
            ClaimTypes.Role);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), ApiKeyDefaults.Scheme)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        var detail = result.Failure?.Message is { } failure
            ? failure
            : $"This request needs an API key in the {ApiKeyDefaults.HeaderName} header.";
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers[HeaderNames.WWWAuthenticate] = $"{ApiKeyDefaults.Scheme} header=\"{ApiKeyDefaults.HeaderName}\"";
        await GatewayProblems.WriteAsync(Context, GatewayProblems.Create(Context, StatusCodes.Status401Unauthorized, ProblemCodes.Unauthorized, detail));
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        return GatewayProblems.WriteAsync(Context, GatewayProblems.ForStatus(Context, StatusCodes.Status403Forbidden));
    }
}
