using System.Diagnostics.CodeAnalysis;
using System.Security.Claims;

namespace Gateway.Api.Auth;

/// <summary>Reads the caller's tenant from the principal that <see cref="ApiKeyDefaults.Scheme"/> created.</summary>
public static class TenantClaims
{
    /// <summary>The caller's tenant.</summary>
    /// <exception cref="InvalidOperationException">The user was not authenticated with an API key (a wiring bug: every API endpoint requires it).</exception>
    public static string GetTenant(this ClaimsPrincipal user) =>
        TryGetTenant(user, out var tenant)
            ? tenant
            : throw new InvalidOperationException($"The request is not authenticated with the {ApiKeyDefaults.Scheme} scheme, so it has no tenant.");

    /// <summary>The caller's tenant, or false when the user is anonymous.</summary>
    public static bool TryGetTenant(this ClaimsPrincipal? user, [NotNullWhen(true)] out string? tenant)
    {
        tenant = user?.FindFirst(ApiKeyDefaults.TenantClaim)?.Value;
        return !string.IsNullOrEmpty(tenant);
    }
}
