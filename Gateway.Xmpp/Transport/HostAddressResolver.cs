using System.Net;
using System.Net.Sockets;

namespace Gateway.Xmpp.Transport;

/// <summary>
/// Turns a host name into the IP addresses to connect to (A/AAAA). The client checks each address against its
/// address policy and connects to the checked address itself, so a second lookup cannot answer differently (DNS rebinding).
/// </summary>
public interface IHostAddressResolver
{
    /// <summary>The host's addresses, in the order to try; empty when the name does not resolve.</summary>
    Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken);
}

/// <summary>The system resolver: IP literals as they are, <c>localhost</c> names as loopback, others through DNS.</summary>
public sealed class DnsHostAddressResolver : IHostAddressResolver
{
    public static DnsHostAddressResolver Instance { get; } = new();

    public async Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        if (TryParseLiteral(host, out var literal))
        {
            return [literal];
        }

        if (IsLocalhostName(host))
        {
            // RFC 6761 §6.3: localhost names always resolve to loopback; no query leaves the machine.
            return [IPAddress.Loopback, IPAddress.IPv6Loopback];
        }

        try
        {
            return await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            return [];
        }
    }

    /// <summary>An IPv4 or IPv6 literal, the latter with or without brackets.</summary>
    internal static bool TryParseLiteral(string host, out IPAddress address)
    {
        var text = host is ['[', .. var inner, ']'] ? inner : host;
        if (IPAddress.TryParse(text, out var parsed) && (parsed.AddressFamily == AddressFamily.InterNetworkV6 || text.Count(c => c == '.') == 3))
        {
            address = parsed;
            return true;
        }

        address = IPAddress.None;
        return false;
    }

    /// <summary><c>localhost</c> or a name under it (RFC 6761 §6.3).</summary>
    internal static bool IsLocalhostName(string host)
    {
        var name = host.TrimEnd('.');
        return name.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);
    }
}
