using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace Gateway.Api.Cluster.Forwarding;

/// <summary>What a request's forwarding marker says.</summary>
internal enum MarkerCheck
{
    /// <summary>No marker: a caller's own request.</summary>
    Absent,

    /// <summary>A marker another node of this cluster made for exactly this request: forwarded once, never again.</summary>
    Valid,

    /// <summary>A marker no node made for this request (forged, replayed on another path, expired, or a foreign key ring).</summary>
    Invalid,
}

/// <summary>
/// Marks a request as forwarded by a node of this cluster (header <see cref="HeaderName"/>), so that the node receiving
/// it answers from its own pool and never forwards it again. The marker is a Data Protection payload (authenticated
/// encryption with the key ring every node shares through the store) binding the method and the path and query, valid
/// for <see cref="Lifetime"/>: a caller cannot make one, and one seen on the wire is worth nothing on another request.
/// A valid marker grants two things only: the receiving node does not forward the request again, and does not charge
/// the tenant's rate limit for it a second time (the forwarding node charged it, <see cref="ForwardingMarkerMiddleware"/>).
/// Authentication and tenant isolation apply as to any request.
/// </summary>
/// <remarks>
/// The marker is not single-use: within its lifetime, a copy taken off the link between nodes could be sent again for
/// the same method, path and query, with the tenant's own credentials, without being charged on this node. The link
/// between nodes belongs on a private network (docs/scale-out.md).
/// </remarks>
internal sealed class ForwardingMarker(IDataProtectionProvider dataProtection)
{
    public const string HeaderName = "X-Gateway-Forwarded";

    /// <summary>Long enough for a slow hop and clock skew between nodes; short enough that a copy soon expires.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);

    private readonly ITimeLimitedDataProtector _protector =
        dataProtection.CreateProtector("Gateway.Cluster.Forwarding.Marker.v1").ToTimeLimitedDataProtector();

    /// <summary>The marker for a request with <paramref name="method"/> to <paramref name="pathAndQuery"/>.</summary>
    public string Create(string method, string pathAndQuery) => _protector.Protect(Payload(method, pathAndQuery), Lifetime);

    public MarkerCheck Check(string? marker, string method, string pathAndQuery)
    {
        if (string.IsNullOrEmpty(marker))
        {
            return MarkerCheck.Absent;
        }

        try
        {
            return _protector.Unprotect(marker, out _) == Payload(method, pathAndQuery) ? MarkerCheck.Valid : MarkerCheck.Invalid;
        }
        catch (CryptographicException)
        {
            // Not ours, tampered with, or expired.
            return MarkerCheck.Invalid;
        }
    }

    private static string Payload(string method, string pathAndQuery) => string.Concat(method.ToUpperInvariant(), " ", pathAndQuery);
}
