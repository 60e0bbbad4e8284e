using System.Net;
using Gateway.Xmpp.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Transport;

/// <summary>
/// Opens the TCP connection for one endpoint: resolves its host once, refuses non-public addresses unless allowed
/// (<see cref="AddressPolicy"/>), and connects to an address it checked, never to the name again. Failures are logged
/// in detail and reported without host, port, address or socket error: what an API caller learns must not let it map
/// the gateway's network.
/// </summary>
internal sealed class TargetConnector(XmppClientOptions options, ILogger logger)
{
    private readonly IHostAddressResolver _resolver = options.AddressResolver ?? DnsHostAddressResolver.Instance;
    private readonly ISocketConnector _connector = options.SocketConnector ?? TcpSocketConnector.Instance;

    /// <summary>The failure reported for any endpoint of <paramref name="domain"/> that could not be reached.</summary>
    public static XmppConnectionException Unreachable(string domain, Exception? innerException = null) =>
        new($"Could not connect to the XMPP server for {domain}.", innerException);

    /// <param name="endpoint">Where to connect.</param>
    /// <param name="explicitHost">The application configured this host itself (<see cref="XmppClientOptions.Host"/>): its addresses are not checked.</param>
    /// <param name="cancellationToken">Cancels resolving and connecting.</param>
    /// <exception cref="XmppConnectionException">No address of the endpoint was allowed and reachable.</exception>
    public async Task<XmppTransport> ConnectAsync(XmppEndpoint endpoint, bool explicitHost, CancellationToken cancellationToken)
    {
        var domain = options.Jid.Domain;
        var addresses = await _resolver.ResolveAsync(endpoint.Host, cancellationToken).ConfigureAwait(false);
        if (addresses.Count == 0)
        {
            Log.HostUnresolved(logger, domain, endpoint.Host);
            throw Unreachable(domain);
        }

        Exception? lastFailure = null;
        foreach (var address in addresses)
        {
            if (!explicitHost && !options.AllowPrivateAddresses && AddressPolicy.IsRestricted(address))
            {
                Log.AddressRefused(logger, domain, endpoint.Host, address);
                continue;
            }

            try
            {
                return await XmppTransport.ConnectAsync(endpoint, new IPEndPoint(address, endpoint.Port), _connector, options.MaxStanzaBytes, cancellationToken).ConfigureAwait(false);
            }
            catch (XmppConnectionException ex)
            {
                Log.EndpointFailed(logger, endpoint.Host, endpoint.Port, ex.Message);
                lastFailure = ex;
            }
        }

        throw Unreachable(domain, lastFailure);
    }
}
