using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace Gateway.Api.Auth;

/// <summary>Registers the <see cref="ApiKeyDefaults.Scheme"/> scheme and the policy that every endpoint needs it, unless marked anonymous.</summary>
public static class ApiKeyAuthentication
{
    public static IServiceCollection AddApiKeyAuthentication(this IServiceCollection services)
    {
        services.AddSingleton<ApiKeyStore>();
        services.AddAuthentication(ApiKeyDefaults.Scheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyDefaults.Scheme, configureOptions: null);

        // Fail closed: an endpoint nobody marked is protected. Health and OpenAPI opt out explicitly.
        var tenantRequired = new AuthorizationPolicyBuilder(ApiKeyDefaults.Scheme)
            .RequireAuthenticatedUser()
            .RequireClaim(ApiKeyDefaults.TenantClaim)
            .Build();
        services.AddAuthorizationBuilder()
            .SetDefaultPolicy(tenantRequired)
            .SetFallbackPolicy(tenantRequired);
        return services;
    }
}
