using System.Net;
using System.Net.Sockets;

namespace Gateway.Xmpp.Transport;

/// <summary>
/// Which IP addresses a connection derived from a JID's domain (DNS SRV, A/AAAA, a <c>see-other-host</c> redirect)
/// may reach. Loopback, private, link-local, carrier-grade NAT, unique-local, multicast, reserved and the cloud
/// metadata address (169.254.169.254) are refused unless the operator allows them: otherwise anyone who may name a
/// JID could make the gateway open connections inside its own network (server-side request forgery). Pure.
/// </summary>
public static class AddressPolicy
{
    /// <summary>True when <paramref name="address"/> is not a public unicast address.</summary>
    public static bool IsRestricted(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => IsRestrictedV4(address.GetAddressBytes()),
            AddressFamily.InterNetworkV6 => IsRestrictedV6(address.GetAddressBytes()),
            _ => true,
        };
    }

    private static bool IsRestrictedV4(ReadOnlySpan<byte> a) =>
        a[0] == 0                                        // 0.0.0.0/8 "this network" (RFC 791); 0.0.0.0 reaches the host itself
        || a[0] == 10                                    // 10.0.0.0/8 private (RFC 1918)
        || a[0] == 100 && (a[1] & 0xC0) == 64            // 100.64.0.0/10 carrier-grade NAT (RFC 6598)
        || a[0] == 127                                   // 127.0.0.0/8 loopback
        || a[0] == 169 && a[1] == 254                    // 169.254.0.0/16 link-local, with the metadata service 169.254.169.254
        || a[0] == 172 && (a[1] & 0xF0) == 16            // 172.16.0.0/12 private (RFC 1918)
        || a[0] == 192 && a[1] == 0 && a[2] == 0         // 192.0.0.0/24 IETF protocol assignments (RFC 6890)
        || a[0] == 192 && a[1] == 168                    // 192.168.0.0/16 private (RFC 1918)
        || a[0] == 198 && (a[1] & 0xFE) == 18            // 198.18.0.0/15 benchmarking (RFC 2544)
        || a[0] >= 224;                                  // 224.0.0.0/4 multicast, 240.0.0.0/4 reserved, 255.255.255.255 broadcast

    private static bool IsRestrictedV6(byte[] a)
    {
        var span = a.AsSpan();
        if (span[..10].IndexOfAnyExcept((byte)0) < 0)
        {
            // ::/128 unspecified, ::1 loopback, ::/96 IPv4-compatible (deprecated) and ::ffff:0:0/96 IPv4-mapped:
            // a mapped address reaches its IPv4 address, so the IPv4 rules decide.
            if (span[10] == 0xFF && span[11] == 0xFF)
            {
                return IsRestrictedV4(span[12..]);
            }

            return true;
        }

        if (a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xFF && a[3] == 0x9B)
        {
            // 64:ff9b::/96 NAT64 (RFC 6052) reaches the embedded IPv4 address; 64:ff9b:1::/48 is for local use (RFC 8215).
            return a[4] != 0 || a[5] != 0 || span[6..12].IndexOfAnyExcept((byte)0) >= 0 || IsRestrictedV4(span[12..]);
        }

        if (a[0] == 0x20 && a[1] == 0x02)
        {
            // 2002::/16 6to4 (RFC 3056) reaches the IPv4 address in bits 16-47.
            return IsRestrictedV4(span[2..6]);
        }

        return (a[0] & 0xFE) == 0xFC                     // fc00::/7 unique local (RFC 4193)
            || a[0] == 0xFE && (a[1] & 0xC0) == 0x80     // fe80::/10 link-local
            || a[0] == 0xFE && (a[1] & 0xC0) == 0xC0     // fec0::/10 site-local (deprecated, RFC 3879)
            || a[0] == 0xFF;                             // ff00::/8 multicast
    }
}
