using Gateway.Api.Diagnostics;
using Gateway.Api.Errors;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Gateway.Api.Auth;

/// <summary>
/// Scope policies (<c>scope:read</c>, <c>scope:send</c>, <c>scope:admin</c>, and <c>scope:any</c> for what every key
/// may do): every API endpoint names one with <c>RequireScope</c>, and a test checks that none is left out.
/// </summary>
public static class ScopeAuthorization
{
    /// <summary>The policy of operations any key may call, whatever its scopes (a hub ticket inherits them).</summary>
    public const string AnyScopePolicy = ApiScopeNames.PolicyPrefix + "any";

    /// <summary>Requires the caller's key to have <paramref name="scope"/> (403 <c>forbidden</c> naming it otherwise).</summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, ApiScopes scope)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(ApiScopeNames.PolicyFor(scope));

    /// <summary>Requires the named scope policy (<see cref="AnyScopePolicy"/>).</summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, string policy)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(policy);

    internal static AuthorizationBuilder AddScopePolicies(this AuthorizationBuilder authorization)
    {
        foreach (var (_, name) in ApiScopeNames.All)
        {
            authorization.AddPolicy(ApiScopeNames.PolicyPrefix + name, policy => policy
                .AddAuthenticationSchemes(ApiKeyDefaults.Scheme)
                .RequireAuthenticatedUser()
                .RequireClaim(ApiKeyDefaults.TenantClaim)
                .RequireClaim(ApiScopeNames.Claim, name));
        }

        authorization.AddPolicy(AnyScopePolicy, policy => policy
            .AddAuthenticationSchemes(ApiKeyDefaults.Scheme)
            .RequireAuthenticatedUser()
            .RequireClaim(ApiKeyDefaults.TenantClaim));
        return authorization;
    }
}

/// <summary>
/// Answers a missing scope with a 403 that names it; every other outcome goes to the framework's handler (which
/// challenges or forbids through <see cref="ApiKeyAuthenticationHandler"/>).
/// </summary>
internal sealed class ScopeForbiddenResultHandler(ILogger<ScopeForbiddenResultHandler> logger) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(authorizeResult);
        var missing = authorizeResult.Forbidden
            ? authorizeResult.AuthorizationFailure?.FailedRequirements.OfType<ClaimsAuthorizationRequirement>()
                .FirstOrDefault(r => r.ClaimType == ApiScopeNames.Claim)?.AllowedValues?.FirstOrDefault()
            : null;
        if (missing is null)
        {
            await _default.HandleAsync(next, context, policy, authorizeResult);
            return;
        }

        AuthLog.ScopeMissing(logger, context.Request.Method, RequestRoute.Describe(context), missing);
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        await GatewayProblems.WriteAsync(context, GatewayProblems.Create(context, StatusCodes.Status403Forbidden, ProblemCodes.Forbidden,
            $"This API key lacks the '{missing}' scope this operation needs (Gateway:Tenants:…:ApiKeys:…:Scopes)."));
    }
}
