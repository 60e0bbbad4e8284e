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
/// <para>
/// Data Protection costs tens of microseconds per value (docs/benchmarks.md, "Payload protection"), as much as the rest
/// of a forwarded call, and a session's calls repeat the same method and path: so a node reuses the marker it made for
/// a request for half the marker's lifetime, and remembers a marker it verified until the marker expires. Neither
/// widens what a marker grants (the same bytes were already valid for that long); both caches are bounded.
/// </para>
/// </remarks>
internal sealed class ForwardingMarker(IDataProtectionProvider dataProtection, TimeProvider? time = null)
{
    public const string HeaderName = "X-Gateway-Forwarded";

    /// <summary>Long enough for a slow hop and clock skew between nodes; short enough that a copy soon expires.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);

    /// <summary>How long a made marker is handed out again: it still has half its lifetime left when last sent.</summary>
    public static readonly TimeSpan ReuseFor = Lifetime / 2;

    /// <summary>Entries per cache; a cache full of live entries keeps no more (a new marker then costs what it costs without one).</summary>
    internal const int CacheSize = 4096;

    private readonly ITimeLimitedDataProtector _protector =
        dataProtection.CreateProtector("Gateway.Cluster.Forwarding.Marker.v1").ToTimeLimitedDataProtector();

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Markers made, by request (method, path and query), each for <see cref="ReuseFor"/>.</summary>
    private readonly ExpiringCache<string, string> _made = new(CacheSize, ReuseFor / 4, time ?? TimeProvider.System, StringComparer.Ordinal);

    /// <summary>Markers verified, with the request each binds, until the marker expires.</summary>
    private readonly ExpiringCache<string, string> _verified = new(CacheSize, Lifetime / 4, time ?? TimeProvider.System, StringComparer.Ordinal);

    /// <summary>The marker for a request with <paramref name="method"/> to <paramref name="pathAndQuery"/>.</summary>
    public string Create(string method, string pathAndQuery)
    {
        var payload = Payload(method, pathAndQuery);
        if (_made.TryGet(payload, out var made))
        {
            return made;
        }

        var marker = _protector.Protect(payload, Lifetime);
        _made.Set(payload, marker, ReuseFor);
        return marker;
    }

    public MarkerCheck Check(string? marker, string method, string pathAndQuery)
    {
        if (string.IsNullOrEmpty(marker))
        {
            return MarkerCheck.Absent;
        }

        var payload = Payload(method, pathAndQuery);
        if (_verified.TryGet(marker, out var known))
        {
            return known == payload ? MarkerCheck.Valid : MarkerCheck.Invalid;
        }

        try
        {
            var unprotected = _protector.Unprotect(marker, out var expires);
            _verified.Set(marker, unprotected, expires - _time.GetUtcNow());
            return unprotected == payload ? MarkerCheck.Valid : MarkerCheck.Invalid;
        }
        catch (CryptographicException)
        {
            // Not ours, tampered with, or expired. Never remembered: forged markers must not fill the cache.
            return MarkerCheck.Invalid;
        }
    }

    private static string Payload(string method, string pathAndQuery) => string.Concat(method.ToUpperInvariant(), " ", pathAndQuery);
}
