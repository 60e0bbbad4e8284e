using System.Net.Sockets;
using Gateway.Xmpp.Transport;

namespace Gateway.Api.Webhooks;

/// <summary>
/// The <see cref="SocketsHttpHandler.ConnectCallback"/> of webhook deliveries: resolves the URL's host once, drops every
/// address the <see cref="AddressPolicy"/> restricts (loopback, private, link-local, metadata…) unless
/// <see cref="WebhookOptions.AllowPrivateAddresses"/>, and connects to an address it checked. The check applies to the
/// address actually connected, so a name that resolves to a public address when registered and a private one later
/// (DNS rebinding) is still refused. Like <c>HttpUploader</c> for upload slots.
/// </summary>
internal sealed class WebhookConnector(bool allowPrivateAddresses, IHostAddressResolver resolver, ILogger logger)
{
    public ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var host = context.DnsEndPoint.Host;
        return PolicyCheckedConnector.ConnectAsync(context.DnsEndPoint, resolver, allowPrivateAddresses, Fail, cancellationToken);

        Exception Fail(PolicyConnectFailure failure, SocketException? last)
        {
            if (failure == PolicyConnectFailure.Unreachable)
            {
                return new WebhookConnectRefusedException($"the webhook host {host} could not be reached", last);
            }

            var reason = failure == PolicyConnectFailure.DoesNotResolve
                ? $"the webhook host {host} does not resolve"
                : $"the webhook host {host} resolves only to loopback, private or otherwise restricted addresses, which only {WebhookOptions.Section}:AllowPrivateAddresses allows";
            WebhookLog.ConnectRefused(logger, host, reason);
            return new WebhookConnectRefusedException(reason);
        }
    }
}
