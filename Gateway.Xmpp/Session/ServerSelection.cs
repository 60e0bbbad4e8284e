using Gateway.Xmpp.Diagnostics;
using Gateway.Xmpp.Negotiation;
using Gateway.Xmpp.StreamManagement;
using Gateway.Xmpp.Transport;
using Microsoft.Extensions.Logging;

namespace Gateway.Xmpp.Session;

/// <summary>A connection whose stream negotiation succeeded, and the server it reached.</summary>
internal sealed record NegotiatedConnection(XmppTransport Transport, NegotiationResult Negotiated, XmppEndpoint Endpoint);

/// <summary>
/// Finds a server of the account's domain that completes the stream negotiation: resolves the endpoints, tries them in
/// order, follows <c>see-other-host</c> redirects and moves on to the next endpoint when one fails on its own.
/// </summary>
internal static class ServerSelection
{
    /// <summary>How many <c>see-other-host</c> redirects one endpoint may lead through.</summary>
    internal const int MaxRedirects = 3;

    /// <exception cref="SaslFailedException">The server refused the credentials (the next server would too).</exception>
    /// <exception cref="XmppException">Every endpoint failed: the failure of a server that was reached, else why none was.</exception>
    public static async Task<NegotiatedConnection> NegotiateAsync(
        XmppClientOptions options,
        IXmppEndpointResolver? resolver,
        StreamHandoff? resumeFrom,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        var endpoints = await ResolveEndpointsAsync(options, resolver, cancellationToken).ConfigureAwait(false);
        var connector = new TargetConnector(options, logger);
        XmppException? connectFailure = null;
        XmppException? negotiationFailure = null;
        foreach (var first in endpoints)
        {
            var endpoint = first;
            for (var redirects = 0; ; redirects++)
            {
                XmppTransport transport;
                try
                {
                    transport = await connector.ConnectAsync(endpoint, explicitHost: options.Host is not null && redirects == 0, cancellationToken).ConfigureAwait(false);
                }
                catch (XmppConnectionException ex)
                {
                    connectFailure = ex;
                    break;
                }

                try
                {
                    var negotiated = await Negotiator.NegotiateAsync(transport, options, logger, resumeFrom, cancellationToken).ConfigureAwait(false);
                    return new NegotiatedConnection(transport, negotiated, endpoint);
                }
                catch (StreamErrorException ex) when (ex.Condition == StreamErrorCondition.SeeOtherHost)
                {
                    await transport.DisposeAsync().ConfigureAwait(false);

                    // RFC 6120 §4.9.3.19: reconnect to the host the server names. Its certificate must still name the
                    // JID's domain (TLS always validates against options.Jid.Domain), its addresses pass the same
                    // policy as DNS answers, and redirects are bounded so two servers cannot bounce us forever.
                    if (redirects < MaxRedirects && OtherHost.TryParse(ex.OtherHost, endpoint.DirectTls, out var other))
                    {
                        Log.Redirected(logger, options.Jid.Domain, $"{other.Host}:{other.Port}", redirects + 1, MaxRedirects);
                        endpoint = other;
                        continue;
                    }

                    Log.RedirectIgnored(logger, options.Jid.Domain, ex.OtherHost ?? "");
                    negotiationFailure = ex;
                    break;
                }
                catch (XmppException ex) when (IsEndpointFailure(ex))
                {
                    // RFC 6120 §3.2.1: a server that cannot complete TLS or the stream negotiation is skipped for the
                    // next SRV target; only a refused login (which the next server would refuse too) ends the attempt.
                    await transport.DisposeAsync().ConfigureAwait(false);
                    Log.EndpointNegotiationFailed(logger, options.Jid.Domain, endpoint.Host, endpoint.Port, ex.GetType().Name, ex);
                    negotiationFailure = ex;
                    break;
                }
                catch
                {
                    await transport.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
            }
        }

        // A server that was reached and failed says more than one that could not be reached.
        throw negotiationFailure ?? connectFailure ?? TargetConnector.Unreachable(options.Jid.Domain);
    }

    /// <summary>
    /// Failures of one server that another server of the same domain may not have: TLS, a dropped connection, a
    /// protocol violation, a stream error other than a refused login or a replaced session.
    /// </summary>
    private static bool IsEndpointFailure(XmppException exception) => exception switch
    {
        XmppTlsException or XmppConnectionException or XmppProtocolException => true,
        StreamErrorException stream => stream.Condition is not (StreamErrorCondition.NotAuthorized or StreamErrorCondition.Conflict),
        _ => false,
    };

    private static async Task<IReadOnlyList<XmppEndpoint>> ResolveEndpointsAsync(XmppClientOptions options, IXmppEndpointResolver? resolver, CancellationToken cancellationToken)
    {
        var directTls = options.TlsMode == TlsMode.DirectTls;
        if (options.Host is not null)
        {
            return [new XmppEndpoint(options.Host, options.Port ?? (directTls ? 5223 : DnsSrvEndpointResolver.DefaultClientPort), directTls)];
        }

        if (DnsHostAddressResolver.TryParseLiteral(options.Jid.Domain, out _) || DnsHostAddressResolver.IsLocalhostName(options.Jid.Domain))
        {
            // An IP literal or localhost has no SRV records worth asking DNS for (RFC 6120 §3.2.2 fallback at once).
            return [new XmppEndpoint(options.Jid.Domain, directTls ? 5223 : DnsSrvEndpointResolver.DefaultClientPort, directTls)];
        }

        resolver ??= new DnsSrvEndpointResolver();
        var endpoints = await resolver.ResolveAsync(options.Jid.Domain, cancellationToken).ConfigureAwait(false);
        return options.TlsMode switch
        {
            TlsMode.DirectTls => endpoints.Where(e => e.DirectTls).ToArray(),
            TlsMode.Disabled => endpoints.Where(e => !e.DirectTls).ToArray(),
            _ => endpoints,
        };
    }
}
