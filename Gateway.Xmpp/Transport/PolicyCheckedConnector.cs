using System.Net;
using System.Net.Sockets;

namespace Gateway.Xmpp.Transport;

/// <summary>Why <see cref="PolicyCheckedConnector.ConnectAsync"/> could not connect.</summary>
public enum PolicyConnectFailure
{
    /// <summary>The host has no address.</summary>
    DoesNotResolve,

    /// <summary>Every address of the host is one the <see cref="AddressPolicy"/> restricts, and those are not allowed.</summary>
    OnlyRestrictedAddresses,

    /// <summary>No allowed address accepted the connection.</summary>
    Unreachable,
}

/// <summary>
/// A <see cref="System.Net.Http.SocketsHttpHandler.ConnectCallback"/> for URLs that come from outside (an upload slot
/// from the XMPP server, a webhook from an API caller): resolves the host once, drops every address the
/// <see cref="AddressPolicy"/> restricts (server-side request forgery) unless private addresses are allowed, and connects
/// to the first allowed address that answers. The check applies to the address actually connected, so a name that
/// resolves to a public address when it is checked and to a private one when it is used (DNS rebinding) is still refused.
/// </summary>
public static class PolicyCheckedConnector
{
    /// <param name="endPoint">The host and port to reach.</param>
    /// <param name="resolver">How the host becomes addresses.</param>
    /// <param name="allowPrivateAddresses">Whether restricted addresses may be connected (the operator's choice).</param>
    /// <param name="fail">The exception to throw for a failure (the last socket error with <see cref="PolicyConnectFailure.Unreachable"/>).</param>
    /// <param name="cancellationToken">Cancels resolving and connecting.</param>
    public static async ValueTask<Stream> ConnectAsync(
        DnsEndPoint endPoint,
        IHostAddressResolver resolver,
        bool allowPrivateAddresses,
        Func<PolicyConnectFailure, SocketException?, Exception> fail,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(resolver);
        ArgumentNullException.ThrowIfNull(fail);
        var addresses = await resolver.ResolveAsync(endPoint.Host, cancellationToken).ConfigureAwait(false);
        var allowed = allowPrivateAddresses ? addresses : [.. addresses.Where(a => !AddressPolicy.IsRestricted(a))];
        if (allowed.Count == 0)
        {
            throw fail(addresses.Count == 0 ? PolicyConnectFailure.DoesNotResolve : PolicyConnectFailure.OnlyRestrictedAddresses, null);
        }

        SocketException? last = null;
        foreach (var address in allowed)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endPoint.Port), cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw fail(PolicyConnectFailure.Unreachable, last);
    }
}
