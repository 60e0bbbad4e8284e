using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace Gateway.Api.Auth;

/// <summary>
/// Registers the <see cref="ApiKeyDefaults.Scheme"/> scheme (keys and hub tickets), the policy that every endpoint
/// needs it unless marked anonymous, and the scope policies (<see cref="ScopeAuthorization"/>).
/// </summary>
public static class ApiKeyAuthentication
{
    public static IServiceCollection AddApiKeyAuthentication(this IServiceCollection services)
    {
        services.AddSingleton<ApiKeyStore>();
        services.AddOptionsWithValidateOnStart<HubTicketOptions, HubTicketOptionsValidator>().BindConfiguration(HubTicketOptions.Section);
        services.AddSingleton(sp => new HubTicketStore(
            sp.GetRequiredService<ApiKeyStore>(),
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<HubTicketOptions>>(),
            sp.GetService<TimeProvider>()));
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ScopeForbiddenResultHandler>();
        services.AddAuthentication(ApiKeyDefaults.Scheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyDefaults.Scheme, configureOptions: null);

        // Fail closed: an endpoint nobody marked is protected. Health and OpenAPI opt out explicitly.
        var tenantRequired = new AuthorizationPolicyBuilder(ApiKeyDefaults.Scheme)
            .RequireAuthenticatedUser()
            .RequireClaim(ApiKeyDefaults.TenantClaim)
            .Build();
        services.AddAuthorizationBuilder()
            .SetDefaultPolicy(tenantRequired)
            .SetFallbackPolicy(tenantRequired)
            .AddScopePolicies();
        return services;
    }
}
