namespace Gateway.Api.Limits;

/// <summary>
/// Marks a request whose tenant was already charged a rate-limit token for it by another node of the cluster: the node
/// that received it from the caller, authenticated it, charged it and forwarded it here (docs/scale-out.md, forwarding).
/// The tenant limiter (<see cref="TenantRateLimiting"/>) does not charge it a second time.
/// </summary>
/// <remarks>
/// A request feature, not a header: only code of this process can set it, and only after it has verified that the
/// request carries a forwarding marker that a node of this cluster made for exactly this request. Nothing a caller
/// sends sets it. It must be set before the rate limiter runs (the forwarding marker's middleware is placed so).
/// </remarks>
internal sealed class ChargedUpstream
{
    private static readonly ChargedUpstream Instance = new();

    private ChargedUpstream()
    {
    }

    /// <summary>Records that <paramref name="context"/>'s request was charged by the node that forwarded it.</summary>
    public static void Mark(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Features.Set(Instance);
    }

    /// <summary>Whether the request was charged by the node that forwarded it (and so is not charged here).</summary>
    public static bool IsMarked(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Features.Get<ChargedUpstream>() is not null;
    }
}
