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

    /// <summary>Whether the caller's key has <paramref name="scope"/>.</summary>
    public static bool HasScope(this ClaimsPrincipal? user, ApiScopes scope) =>
        user?.HasClaim(ApiScopeNames.Claim, ApiScopeNames.NameOf(scope)) == true;

    /// <summary>The caller's key identity (<see cref="ApiKeyIdentity"/>), or null when the user is anonymous.</summary>
    public static ApiKeyIdentity? GetKeyIdentity(this ClaimsPrincipal? user)
    {
        if (!TryGetTenant(user, out var tenant) || user!.FindFirst(ApiKeyDefaults.KeyIdClaim)?.Value is not { } keyId)
        {
            return null;
        }

        var scopes = ApiScopeNames.All.Where(s => user.HasScope(s.Scope)).Aggregate(ApiScopes.None, (all, s) => all | s.Scope);
        return new ApiKeyIdentity(keyId, tenant, scopes);
    }

    /// <summary>The principal for a key (or a ticket of it).</summary>
    internal static ClaimsPrincipal CreatePrincipal(ApiKeyIdentity identity, string? ticketId)
    {
        List<Claim> claims =
        [
            new(ApiKeyDefaults.TenantClaim, identity.Tenant),
            new(ClaimTypes.Name, identity.Tenant),
            new(ApiKeyDefaults.KeyIdClaim, identity.KeyId),
        ];
        claims.AddRange(ApiScopeNames.All.Where(s => identity.Scopes.HasFlag(s.Scope)).Select(s => new Claim(ApiScopeNames.Claim, s.Name)));
        if (ticketId is not null)
        {
            claims.Add(new Claim(ApiKeyDefaults.TicketClaim, ticketId));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, ApiKeyDefaults.Scheme, ClaimTypes.Name, ClaimTypes.Role));
    }
}
