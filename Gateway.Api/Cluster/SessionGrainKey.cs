using System.Diagnostics.CodeAnalysis;

namespace Gateway.Api.Cluster;

/// <summary>
/// The string key of a session's grain: <c>{tenant}/{sessionId}</c>. Unambiguous because neither part can hold a
/// '/': tenant names are letters, digits, '.', '_' and '-' (InputRules.TenantNameRule), session ids letters, digits,
/// '-' and '_' (the pool refuses any other).
/// </summary>
internal static class SessionGrainKey
{
    private const char Separator = '/';

    public static string Format(string tenant, string sessionId)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        if (tenant.Contains(Separator, StringComparison.Ordinal) || sessionId.Contains(Separator, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Neither a tenant nor a session id may contain '{Separator}'.");
        }

        return string.Concat(tenant, "/", sessionId);
    }

    public static bool TryParse(string? key, [NotNullWhen(true)] out string? tenant, [NotNullWhen(true)] out string? sessionId)
    {
        tenant = sessionId = null;
        var separator = key?.IndexOf(Separator, StringComparison.Ordinal) ?? -1;
        if (key is null || separator <= 0 || separator == key.Length - 1 || key.IndexOf(Separator, separator + 1) >= 0)
        {
            return false;
        }

        tenant = key[..separator];
        sessionId = key[(separator + 1)..];
        return true;
    }
}
