using System.Globalization;

namespace Gateway.Api.Hubs;

/// <summary>Names the SignalR groups of the hub.</summary>
internal static class HubGroups
{
    /// <summary>
    /// The group of one session's subscribers. The tenant is length-prefixed, so no choice of tenant and session
    /// names can make two tenants' groups coincide (<c>"a:b" + "c"</c> vs <c>"a" + "b:c"</c>).
    /// </summary>
    public static string Session(string tenant, string sessionId)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        return string.Create(CultureInfo.InvariantCulture, $"session:{tenant.Length}:{tenant}:{sessionId}");
    }
}
