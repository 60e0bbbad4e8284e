using System.Text.Encodings.Web;
using Gateway.Api.Errors;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Gateway.Api.Auth;

/// <summary>
/// Authenticates a request by its API key: the <see cref="ApiKeyDefaults.HeaderName"/> header, or on the hub path only
/// the <see cref="ApiKeyDefaults.QueryParameter"/> query parameter or a bearer token, where a hub ticket
/// (<see cref="HubTicketStore"/>) is accepted too. The principal carries the tenant in
/// <see cref="ApiKeyDefaults.TenantClaim"/>, the key's id and its scopes. Challenges and refusals answer with problem details.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyStore keys,
    HubTicketStore tickets)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private const string InvalidKey = "The API key is not valid.";
    private const string InvalidTicket = "The hub ticket is not valid: unknown, expired, already used, or its API key was revoked. Get a new one with POST /api/v1/hub-tickets.";
    private static readonly PathString NegotiatePath = ApiKeyDefaults.HubPath + "/negotiate";

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

        // Tickets open hub connections only: on REST (the header) a ticket is just an unknown key.
        if (key.StartsWith(HubTicketStore.Prefix, StringComparison.Ordinal) && !Request.Headers.ContainsKey(ApiKeyDefaults.HeaderName))
        {
            var negotiate = Request.Path.StartsWithSegments(NegotiatePath);
            var connectionToken = Request.Query.TryGetValue("id", out var id) && id.Count == 1 ? id[0] : null;
            return Task.FromResult(tickets.Redeem(key, negotiate, connectionToken) is { } redeemed
                ? Success(redeemed.Identity, redeemed.TicketId)
                : AuthenticateResult.Fail(InvalidTicket));
        }

        return Task.FromResult(keys.Find(key) is { } identity ? Success(identity, ticketId: null) : AuthenticateResult.Fail(InvalidKey));
    }

    private static AuthenticateResult Success(ApiKeyIdentity identity, string? ticketId) =>
        AuthenticateResult.Success(new AuthenticationTicket(TenantClaims.CreatePrincipal(identity, ticketId), ApiKeyDefaults.Scheme));

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
