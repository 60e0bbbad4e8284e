namespace Gateway.Xmpp.Transport;

/// <summary>A host and port to try, and whether TLS starts at once (XEP-0368) or through STARTTLS.</summary>
public sealed record XmppEndpoint(string Host, int Port, bool DirectTls);

/// <summary>Reads the target of a <c>see-other-host</c> stream error.</summary>
internal static class OtherHost
{
    /// <summary>
    /// RFC 6120 §4.9.3.19: the character data is a domain name or an IP address, optionally with a port; an IPv6
    /// address is enclosed in brackets. Without a port the default port is used (5222, or 5223 for direct TLS).
    /// </summary>
    public static bool TryParse(string? text, bool directTls, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out XmppEndpoint? endpoint)
    {
        endpoint = null;
        var value = text?.Trim();
        if (string.IsNullOrEmpty(value) || value.Length > 300)
        {
            return false;
        }

        string host;
        string? port = null;
        if (value[0] == '[')
        {
            var close = value.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return false;
            }

            host = value[1..close];
            var rest = value[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':')
                {
                    return false;
                }

                port = rest[1..];
            }

            if (Uri.CheckHostName(host) != UriHostNameType.IPv6)
            {
                return false;
            }
        }
        else
        {
            var colon = value.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0)
            {
                if (value.IndexOf(':', colon + 1) >= 0)
                {
                    return false; // an IPv6 address without brackets: ambiguous with a port
                }

                port = value[(colon + 1)..];
                host = value[..colon];
            }
            else
            {
                host = value;
            }

            if (Uri.CheckHostName(host) is not (UriHostNameType.Dns or UriHostNameType.IPv4))
            {
                return false;
            }
        }

        var number = directTls ? 5223 : DnsSrvEndpointResolver.DefaultClientPort;
        if (port is not null && (!int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out number) || number is < 1 or > 65535))
        {
            return false;
        }

        endpoint = new XmppEndpoint(host, number, directTls);
        return true;
    }
}
